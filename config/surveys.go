package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"switchboard/validation"
)

// Survey is a rule for asking customers, after a contact is completed, how
// it went: on the customer's channel where it carries messages (SMS and
// WhatsApp through Twilio), else as a survey.sent event for the generic
// sources and chat widgets. The first rule whose queues and channels match
// a contact applies.
type Survey struct {
	// Queues and Channels the rule covers (empty: all).
	Queues   []string `yaml:"queues"`
	Channels []string `yaml:"channels"`
	// Kind is csat (a score of 1-5) or nps (0-10, how likely to recommend).
	Kind string `yaml:"kind"`
	// Sample is the share of contacts asked (0-1, default 1).
	Sample *float64 `yaml:"sample"`
	// Delay after the contact ends before the question goes (default 1m;
	// 0: at once).
	Delay *time.Duration `yaml:"delay"`
	// Window is how long an answer is taken after the question (default 24h).
	Window time.Duration `yaml:"window"`
	// Question per language; the built-in text where a language has none.
	Question map[string]string `yaml:"question"`
}

// Quality sets how the quality report counts.
type Quality struct {
	// FCRWindow: a completed contact is resolved at first contact when its
	// customer does not come back about the same skill, on any channel,
	// within this time after it ended; a contact within it of an earlier
	// one is a repeat (default 7 days).
	FCRWindow time.Duration `yaml:"fcr_window"`
}

// Surveys are the survey rules and the words that stop them.
type Surveys struct {
	Rules []Survey `yaml:"rules"`
	// OptOut are the replies that stop surveys for the customer (matched
	// whole, ignoring case and surrounding space).
	OptOut []string `yaml:"opt_out_words"`
}

var defaultQuestions = map[string]map[string]string{
	"csat": {
		"en": "How satisfied are you with the help you got? Reply with a number from 1 (not at all) to 5 (very). Reply STOP for no more surveys.",
		"es": "¿Qué tan satisfecho está con la atención recibida? Responda con un número del 1 (nada) al 5 (mucho). Responda BAJA para no recibir más encuestas.",
		"fr": "Êtes-vous satisfait de l'aide reçue ? Répondez par un chiffre de 1 (pas du tout) à 5 (très). Répondez STOP pour ne plus recevoir d'enquêtes.",
		"pt": "Qual o seu grau de satisfação com o atendimento? Responda com um número de 1 (nada) a 5 (muito). Responda PARAR para não receber mais inquéritos.",
	},
	"nps": {
		"en": "How likely are you to recommend us to a friend? Reply with a number from 0 (not at all) to 10 (extremely). Reply STOP for no more surveys.",
		"es": "¿Qué probabilidad hay de que nos recomiende a un amigo? Responda con un número del 0 (ninguna) al 10 (total). Responda BAJA para no recibir más encuestas.",
		"fr": "Quelle est la probabilité que vous nous recommandiez à un ami ? Répondez par un chiffre de 0 (aucune) à 10 (très forte). Répondez STOP pour ne plus recevoir d'enquêtes.",
		"pt": "Qual a probabilidade de nos recomendar a um amigo? Responda com um número de 0 (nenhuma) a 10 (total). Responda PARAR para não receber mais inquéritos.",
	},
}

var defaultOptOut = []string{"stop", "unsubscribe", "cancel", "baja", "parar", "arret", "arrêt", "no más encuestas"}

func (c *Config) applySurveyDefaults() {
	if c.Quality.FCRWindow == 0 {
		c.Quality.FCRWindow = 7 * 24 * time.Hour
	}
	s := &c.Surveys
	if s.OptOut == nil {
		s.OptOut = defaultOptOut
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if r.Sample == nil {
			one := 1.0
			r.Sample = &one
		}
		if r.Delay == nil {
			d := time.Minute
			r.Delay = &d
		}
		if r.Window == 0 {
			r.Window = 24 * time.Hour
		}
	}
}

func (c *Config) validateSurveys(errs *validation.Errors) {
	for i, w := range c.Surveys.OptOut {
		if strings.TrimSpace(w) == "" {
			errs.Add(fmt.Sprintf("surveys.opt_out_words[%d]", i), "must not be empty")
		}
	}
	if c.Quality.FCRWindow < time.Hour || c.Quality.FCRWindow > 90*24*time.Hour {
		errs.Add("quality.fcr_window", "must be between 1h and 90 days")
	}
	for i, r := range c.Surveys.Rules {
		f := fmt.Sprintf("surveys.rules[%d].", i)
		if r.Kind != "csat" && r.Kind != "nps" {
			errs.Add(f+"kind", "must be csat or nps")
		}
		if r.Sample != nil && (*r.Sample < 0 || *r.Sample > 1) {
			errs.Add(f+"sample", "must be between 0 and 1")
		}
		if d := r.After(); d < 0 || d > 7*24*time.Hour {
			errs.Add(f+"delay", "must be between 0 and 7 days")
		}
		if r.Window < time.Minute || r.Window > 30*24*time.Hour {
			errs.Add(f+"window", "must be between 1m and 30 days")
		} else if r.After()+r.Window > c.Retention.Finished {
			// The answer is recorded on the contact, which Redis keeps for
			// retention.finished after it ends.
			errs.Add(f+"window", "with the delay, must not exceed retention.finished (%s)", c.Retention.Finished)
		}
		for _, q := range r.Queues {
			if _, ok := c.Queue(q); !ok {
				errs.Add(f+"queues", "unknown queue %q", q)
			}
		}
		for _, ch := range r.Channels {
			if _, ok := c.Channels[ch]; !ok {
				errs.Add(f+"channels", "unknown channel %q", ch)
			}
		}
		for lang, text := range r.Question {
			if !slices.Contains(c.Languages, lang) {
				errs.Add(f+"question."+lang, "not one of the configured languages")
			}
			if strings.TrimSpace(text) == "" {
				errs.Add(f+"question."+lang, "must not be empty")
			}
		}
	}
}

// SurveyFor is the survey rule of a queue and channel (false: none).
func (c *Config) SurveyFor(queue, channel string) (Survey, bool) {
	for _, r := range c.Surveys.Rules {
		if (len(r.Queues) == 0 || slices.Contains(r.Queues, queue)) &&
			(len(r.Channels) == 0 || slices.Contains(r.Channels, channel)) {
			return r, true
		}
	}
	return Survey{}, false
}

// After is the delay after the end before the question goes.
func (r Survey) After() time.Duration {
	if r.Delay == nil {
		return time.Minute
	}
	return *r.Delay
}

// Share is the share of contacts the rule asks (Sample, 1 when unset).
func (r Survey) Share() float64 {
	if r.Sample == nil {
		return 1
	}
	return *r.Sample
}

// Text is the rule's question in lang (its own, or the built-in one; English
// where the language has neither).
func (r Survey) Text(lang string) string {
	if q := r.Question[lang]; q != "" {
		return q
	}
	if q := defaultQuestions[r.Kind][lang]; q != "" {
		return q
	}
	return defaultQuestions[r.Kind]["en"]
}

// OptsOut reports whether a reply is an opt-out word.
func (s Surveys) OptsOut(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	return t != "" && slices.ContainsFunc(s.OptOut, func(w string) bool { return strings.ToLower(w) == t })
}
