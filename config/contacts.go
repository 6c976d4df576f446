package config

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"switchboard/validation"
)

// Twilio holds the Twilio account used for voice and messaging.
type Twilio struct {
	AccountSID string `yaml:"account_sid"`
	// AuthToken signs Twilio's webhooks and authenticates our REST calls.
	// Prefer the TWILIO_AUTH_TOKEN environment variable to the file.
	AuthToken string `yaml:"auth_token"`
	// APIBaseURL replaces https://api.twilio.com (a proxy, or a test server).
	APIBaseURL string `yaml:"api_base_url"`
	// APITimeout bounds one call to the REST API (default 5s); APIAttempts
	// bounds the tries of one hand-off, connecting a call or sending a reply
	// (default 5), with backoff and jitter between them.
	APITimeout  time.Duration `yaml:"api_timeout"`
	APIAttempts int           `yaml:"api_attempts"`
}

// Enabled reports whether Twilio is configured.
func (t Twilio) Enabled() bool { return t.AccountSID != "" }

// Voice configures what callers hear while they wait.
type Voice struct {
	// Greeting per language, said when a call is queued.
	Greeting map[string]string `yaml:"greeting"`
	// HoldMusicURL is played in a loop while the caller waits.
	HoldMusicURL string `yaml:"hold_music_url"`
	IVR          *IVR   `yaml:"ivr"`
	// Closed is said to callers when their queue is closed; CallbackPrompt
	// offers a callback (press 1) and CallbackConfirm confirms it, per language.
	Closed          map[string]string `yaml:"closed"`
	CallbackPrompt  map[string]string `yaml:"callback_prompt"`
	CallbackConfirm map[string]string `yaml:"callback_confirm"`
}

// IVR is an optional menu: a language, then a skill.
type IVR struct {
	LanguagePrompt string            `yaml:"language_prompt"`
	Languages      map[string]string `yaml:"languages"` // digit -> language
	SkillPrompt    map[string]string `yaml:"skill_prompt"`
	Skills         map[string]string `yaml:"skills"` // digit -> skill
}

// Source is a sender of the generic signed JSON webhook (chat widget, social
// inbox, e-mail gateway).
type Source struct {
	Name string `yaml:"name"`
	// Secret keys the HMAC-SHA256 signature; the environment variable
	// SWITCHBOARD_SOURCE_<NAME>_SECRET overrides it.
	Secret   string   `yaml:"secret"`
	Channels []string `yaml:"channels"`
	// Network names the social network for social handles (facebook, instagram, x).
	Network string `yaml:"network"`
}

// Rule maps a contact to a queue: the first rule whose every given field
// matches wins; a rule with no match field is a default.
type Rule struct {
	Channel    string            `yaml:"channel"`
	To         string            `yaml:"to"`
	Source     string            `yaml:"source"`
	IVR        string            `yaml:"ivr"` // the skill chosen in the IVR
	Attributes map[string]string `yaml:"attributes"`
	// Target: a queue, or a skill whose language comes from the contact.
	Queue    string `yaml:"queue"`
	Skill    string `yaml:"skill"`
	Language string `yaml:"language"` // default language for this rule
	Priority int    `yaml:"priority"`
}

// Customers configures how contacts are recognised and where they go first.
type Customers struct {
	// DefaultRegion parses phone numbers written without a country code.
	DefaultRegion string `yaml:"default_region"`
	// CountryLanguages gives the language of a phone number's country.
	CountryLanguages map[string]string `yaml:"country_languages"`
	DefaultLanguage  string            `yaml:"default_language"`
	// A returning customer within PreferredAgentWindow is offered first to the
	// agent who served them last, for PreferredAgentWait.
	PreferredAgentWindow time.Duration `yaml:"preferred_agent_window"`
	PreferredAgentWait   time.Duration `yaml:"preferred_agent_wait"`
	// TimelineInOffer is how many earlier contacts an offer carries.
	TimelineInOffer int `yaml:"timeline_in_offer"`
	// ClosedReply is the automatic reply, per language, to a message that
	// arrives while its queue is closed; {due} becomes the time the answer
	// is due, in the queue's time zone.
	ClosedReply map[string]string `yaml:"closed_reply"`
}

// RateLimits bound callers; 0 uses the default, a negative value disables.
type RateLimits struct {
	WebhookAccountPerSecond  int `yaml:"webhook_account_per_second"`
	WebhookCustomerPerMinute int `yaml:"webhook_customer_per_minute"`
	APIKeyPerSecond          int `yaml:"api_key_per_second"`
	// FailedAuthPerMinute bounds the requests with no or a wrong API key
	// from one client address (guessing keys costs time).
	FailedAuthPerMinute int `yaml:"failed_auth_per_minute"`
}

var (
	twilioSIDRe = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	regionRe    = regexp.MustCompile(`^[A-Z]{2}$`)
	digitRe     = regexp.MustCompile(`^[0-9]$`)
)

func (c *Config) applyContactDefaults() {
	cu := &c.Customers
	cu.DefaultRegion = cmp.Or(cu.DefaultRegion, "US")
	if cu.DefaultLanguage == "" && len(c.Languages) > 0 {
		cu.DefaultLanguage = c.Languages[0]
	}
	cu.PreferredAgentWindow = cmp.Or(cu.PreferredAgentWindow, 72*time.Hour)
	cu.PreferredAgentWait = cmp.Or(cu.PreferredAgentWait, 20*time.Second)
	cu.TimelineInOffer = cmp.Or(cu.TimelineInOffer, 3)
	for i := range c.EventWebhooks {
		w := &c.EventWebhooks[i]
		w.MaxAttempts = cmp.Or(w.MaxAttempts, 8)
		w.Backoff = cmp.Or(w.Backoff, time.Second)
		w.MaxBackoff = cmp.Or(w.MaxBackoff, 5*time.Minute)
		w.Timeout = cmp.Or(w.Timeout, 10*time.Second)
	}
	r := &c.RateLimits
	r.WebhookAccountPerSecond = cmp.Or(r.WebhookAccountPerSecond, 200)
	r.WebhookCustomerPerMinute = cmp.Or(r.WebhookCustomerPerMinute, 60)
	r.APIKeyPerSecond = cmp.Or(r.APIKeyPerSecond, 100)
	r.FailedAuthPerMinute = cmp.Or(r.FailedAuthPerMinute, 30)
}

func (c *Config) validateContacts(errs *validation.Errors) {
	needURL := c.Twilio.Enabled() || len(c.Sources) > 0
	if c.PublicBaseURL != "" || needURL {
		u, err := url.Parse(c.PublicBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.HasSuffix(c.PublicBaseURL, "/") || u.RawQuery != "" {
			errs.Add("public_base_url", "must be the absolute http(s) URL providers call, without a trailing slash (signatures are checked against it)")
		}
	}
	if c.Twilio.Enabled() {
		if !twilioSIDRe.MatchString(c.Twilio.AccountSID) {
			errs.Add("twilio.account_sid", "must look like AC followed by 32 hex digits")
		}
		if c.Twilio.AuthToken == "" {
			errs.Add("twilio.auth_token", "is required with an account (set TWILIO_AUTH_TOKEN)")
		}
	}
	if c.Twilio.APITimeout < 0 || c.Twilio.APITimeout > time.Minute {
		errs.Add("twilio.api_timeout", "must be between 0 (the default, 5s) and 1m")
	}
	if c.Twilio.APIAttempts < 0 || c.Twilio.APIAttempts > 20 {
		errs.Add("twilio.api_attempts", "must be between 1 and 20 (0: the default, 5)")
	}
	if c.Twilio.APIBaseURL != "" {
		if u, err := url.Parse(c.Twilio.APIBaseURL); err != nil || u.Host == "" {
			errs.Add("twilio.api_base_url", "must be an absolute URL")
		}
	}
	for _, lang := range sortedKeys(c.Voice.Greeting) {
		if !slices.Contains(c.Languages, lang) {
			errs.Add("voice.greeting."+lang, "unknown language")
		}
	}
	if ivr := c.Voice.IVR; ivr != nil {
		for _, d := range sortedKeys(ivr.Languages) {
			if !digitRe.MatchString(d) {
				errs.Add("voice.ivr.languages."+d, "keys must be single digits")
			}
			if !slices.Contains(c.Languages, ivr.Languages[d]) {
				errs.Add("voice.ivr.languages."+d, "unknown language %q", ivr.Languages[d])
			}
		}
		for _, d := range sortedKeys(ivr.Skills) {
			if !digitRe.MatchString(d) {
				errs.Add("voice.ivr.skills."+d, "keys must be single digits")
			}
			if !slices.Contains(c.Skills, ivr.Skills[d]) {
				errs.Add("voice.ivr.skills."+d, "unknown skill %q", ivr.Skills[d])
			}
		}
	}
	names := map[string]bool{}
	for i, s := range c.Sources {
		p := fmt.Sprintf("generic_sources[%d]", i)
		uniqueID(errs, p+".name", s.Name, "source", names)
		if len(s.Secret) < 16 {
			errs.Add(p+".secret", "must be at least 16 characters (or set SWITCHBOARD_SOURCE_<NAME>_SECRET)")
		}
		if len(s.Channels) == 0 {
			errs.Add(p+".channels", "at least one channel is required")
		}
		for j, ch := range s.Channels {
			if _, ok := c.Channels[ch]; !ok || ch == "voice" {
				errs.Add(fmt.Sprintf("%s.channels[%d]", p, j), "%q is not a configured message channel", ch)
			}
		}
		switch s.Network {
		case "", "facebook", "instagram", "x":
		default:
			errs.Add(p+".network", "must be facebook, instagram or x")
		}
	}
	hasDefault := false
	for i, r := range c.Rules {
		p := fmt.Sprintf("routing_rules[%d]", i)
		if r.Channel != "" {
			if _, ok := c.Channels[r.Channel]; !ok {
				errs.Add(p+".channel", "unknown channel %q", r.Channel)
			}
		}
		if r.Source != "" && !names[r.Source] && r.Source != "twilio" {
			errs.Add(p+".source", "unknown source %q", r.Source)
		}
		if r.IVR != "" && !slices.Contains(c.Skills, r.IVR) {
			errs.Add(p+".ivr", "unknown skill %q", r.IVR)
		}
		switch {
		case r.Queue != "" && r.Skill != "":
			errs.Add(p+".queue", "give a queue or a skill, not both")
		case r.Queue != "":
			if _, ok := c.Queue(r.Queue); !ok {
				errs.Add(p+".queue", "unknown queue %q", r.Queue)
			}
		case r.Skill != "":
			if !slices.Contains(c.Skills, r.Skill) {
				errs.Add(p+".skill", "unknown skill %q", r.Skill)
			}
		default:
			errs.Add(p+".skill", "a rule needs a queue or a skill")
		}
		if r.Language != "" && !slices.Contains(c.Languages, r.Language) {
			errs.Add(p+".language", "unknown language %q", r.Language)
		}
		if r.Priority < 0 || r.Priority > 100 {
			errs.Add(p+".priority", "must be between 0 and 100")
		}
		if r.Channel == "" && r.To == "" && r.Source == "" && r.IVR == "" && len(r.Attributes) == 0 {
			hasDefault = true
		}
	}
	if len(c.Rules) > 0 && !hasDefault {
		errs.Add("routing_rules", "the last rule should be a default with no match fields")
	}
	cu := c.Customers
	if !regionRe.MatchString(cu.DefaultRegion) {
		errs.Add("customers.default_region", "must be an ISO 3166 country code such as ES")
	}
	for _, cc := range sortedKeys(cu.CountryLanguages) {
		if !regionRe.MatchString(cc) {
			errs.Add("customers.country_languages."+cc, "keys must be ISO 3166 country codes")
		}
		if !slices.Contains(c.Languages, cu.CountryLanguages[cc]) {
			errs.Add("customers.country_languages."+cc, "unknown language %q", cu.CountryLanguages[cc])
		}
	}
	if cu.DefaultLanguage != "" && !slices.Contains(c.Languages, cu.DefaultLanguage) {
		errs.Add("customers.default_language", "unknown language %q", cu.DefaultLanguage)
	}
	if cu.PreferredAgentWindow < 0 {
		errs.Add("customers.preferred_agent_window", "must not be negative")
	}
	if cu.PreferredAgentWait < 0 {
		errs.Add("customers.preferred_agent_wait", "must not be negative")
	}
	if cu.TimelineInOffer < 0 || cu.TimelineInOffer > 20 {
		errs.Add("customers.timeline_in_offer", "must be between 0 and 20")
	}
}

// Source returns the generic source with the given name.
func (c *Config) Source(name string) (Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// EventWebhook is a subscriber to Switchboard's events.
type EventWebhook struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Secret signs each delivery (X-Switchboard-Signature); the environment
	// variable SWITCHBOARD_WEBHOOK_<NAME>_SECRET overrides it.
	Secret string   `yaml:"secret"`
	Events []string `yaml:"events"`
	// A delivery is tried MaxAttempts times, waiting Backoff, then twice as
	// long each time up to MaxBackoff, before it goes to the dead-letter list.
	MaxAttempts int           `yaml:"max_attempts"`
	Backoff     time.Duration `yaml:"backoff"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
	Timeout     time.Duration `yaml:"timeout"`
}

// EventTypes are the events a webhook can subscribe to.
var EventTypes = []string{"task.created", "task.started", "task.assigned", "task.completed", "task.canceled", "task.transferred",
	"task.escalated", "sla.warning", "sla.breached", "sla.met", "sla.answered_late", "call.ended", "agent.presence", "message.received", "message.sent", "message.failed",
	// A completed contact's survey: asked (with the question, for sources and widgets to ask it), answered, stopped.
	"survey.sent", "survey.answered", "survey.opted_out"}

func (c *Config) validateWebhooks(errs *validation.Errors) {
	names := map[string]bool{}
	for i := range c.EventWebhooks {
		w := &c.EventWebhooks[i]
		p := fmt.Sprintf("event_webhooks[%d]", i)
		uniqueID(errs, p+".name", w.Name, "webhook", names)
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs.Add(p+".url", "must be an absolute http(s) URL")
		}
		if len(w.Secret) < 16 {
			errs.Add(p+".secret", "must be at least 16 characters (or set SWITCHBOARD_WEBHOOK_<NAME>_SECRET)")
		}
		if len(w.Events) == 0 {
			errs.Add(p+".events", "at least one event type is required")
		}
		for j, e := range w.Events {
			if !slices.Contains(EventTypes, e) {
				errs.Add(fmt.Sprintf("%s.events[%d]", p, j), "unknown event %q (known: %s)", e, strings.Join(EventTypes, ", "))
			}
		}
		if w.MaxAttempts < 1 || w.MaxAttempts > 100 {
			errs.Add(p+".max_attempts", "must be between 1 and 100")
		}
		if w.Backoff < 0 || w.MaxBackoff < w.Backoff {
			errs.Add(p+".max_backoff", "must be at least backoff")
		}
		if w.Timeout < 0 {
			errs.Add(p+".timeout", "must be positive")
		}
	}
}
