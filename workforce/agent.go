// Package workforce holds what planners manage about agents: profiles with
// skills, languages, capacities and time zones, and which queues they serve.
package workforce

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"switchboard/config"
	"switchboard/validation"
)

// Agent is an agent's profile as planners see it.
type Agent struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
	// Languages are BCP-47 tags, stored in canonical form.
	Languages []string `json:"languages"`
	// Skills maps a skill to a proficiency from 1 (novice) to 5 (expert).
	Skills map[string]int `json:"skills"`
	// Capacity is how many contacts of each channel the agent handles at once;
	// a channel left out gets the channel's configured default, 0 means never.
	Capacity map[string]int `json:"capacity"`
	// VoiceBlocks are the channels on which a call in progress stops new work;
	// left out, the configured default applies.
	VoiceBlocks []string `json:"voice_blocks"`
	// Contact is where calls for the agent ring: client:<identity>, a sip: URI
	// or an E.164 phone number.
	Contact string `json:"contact,omitempty"`
	// AutoAnswer: offers are accepted for the agent at once (auto-answer on
	// a headset, or a simulated agent); the desktop is told of the
	// assignment as of an offer it accepted.
	AutoAnswer bool `json:"auto_answer"`
}

const maxCapacity = 100

var (
	clientRe = regexp.MustCompile(`^client:[A-Za-z0-9_.@-]{1,121}$`)
	sipRe    = regexp.MustCompile(`^sips?:[^@\s]+@[^@\s]+$`)
	e164Re   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// Normalize fills defaults from cfg, puts language tags in canonical form and
// checks every field. The errors name fields by their JSON path.
func (a *Agent) Normalize(cfg *config.Config) validation.Errors {
	var errs validation.Errors
	if !config.ValidID(a.ID) {
		errs.Add("id", "must be 1-64 letters, digits, '-' or '_'")
	}
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		errs.Add("name", "is required")
	} else if len(a.Name) > 200 {
		errs.Add("name", "must be at most 200 bytes")
	}
	if a.TimeZone == "" {
		errs.Add("time_zone", "is required (an IANA zone such as Europe/Madrid)")
	} else if _, err := time.LoadLocation(a.TimeZone); err != nil || a.TimeZone == "Local" {
		errs.Add("time_zone", "%q is not an IANA time zone", a.TimeZone)
	}
	if len(a.Languages) == 0 {
		errs.Add("languages", "at least one language is required")
	}
	for i, l := range a.Languages {
		tag, err := language.Parse(l)
		if err != nil {
			errs.Add(fmt.Sprintf("languages[%d]", i), "%q is not a BCP-47 language tag", l)
			continue
		}
		a.Languages[i] = tag.String()
	}
	if len(a.Skills) == 0 {
		errs.Add("skills", "at least one skill is required")
	}
	for _, s := range slices.Sorted(maps.Keys(a.Skills)) {
		if !slices.Contains(cfg.Skills, s) {
			errs.Add("skills."+s, "unknown skill (configured: %s)", strings.Join(cfg.Skills, ", "))
		} else if p := a.Skills[s]; p < 1 || p > 5 {
			errs.Add("skills."+s, "proficiency must be between 1 and 5, got %d", p)
		}
	}
	if a.Capacity == nil {
		a.Capacity = map[string]int{}
	}
	for _, ch := range slices.Sorted(maps.Keys(a.Capacity)) {
		if _, ok := cfg.Channels[ch]; !ok {
			errs.Add("capacity."+ch, "unknown channel (configured: %s)", strings.Join(cfg.ChannelNames(), ", "))
		} else if n := a.Capacity[ch]; n < 0 || n > maxCapacity {
			errs.Add("capacity."+ch, "must be between 0 and %d, got %d", maxCapacity, n)
		}
	}
	for ch, c := range cfg.Channels {
		if _, ok := a.Capacity[ch]; !ok {
			a.Capacity[ch] = c.Capacity
		}
	}
	if a.VoiceBlocks == nil {
		a.VoiceBlocks = slices.Clone(cfg.Routing.VoiceBlocks)
	}
	for i, ch := range a.VoiceBlocks {
		if _, ok := cfg.Channels[ch]; !ok || ch == "voice" {
			errs.Add(fmt.Sprintf("voice_blocks[%d]", i), "%q is not a configured channel other than voice", ch)
		}
	}
	if a.Contact != "" && !clientRe.MatchString(a.Contact) && !sipRe.MatchString(a.Contact) && !e164Re.MatchString(a.Contact) {
		errs.Add("contact", "must be client:<identity>, a sip: URI or an E.164 number such as +34600111222")
	}
	if a.VoiceBlocks == nil {
		a.VoiceBlocks = []string{}
	}
	if a.Languages == nil {
		a.Languages = []string{}
	}
	return errs
}

// Eligibility is an agent's standing in one queue.
type Eligibility struct {
	Queue       string
	Proficiency int
	Strategy    string
	// Below marks an agent under the queue's minimum proficiency: it takes
	// only tasks whose escalation lowered the minimum to its level.
	Below bool
	// Enforce: the queue offers work only while the agent's schedule says so.
	Enforce bool
}

// Eligible lists the queues the agent may serve: those whose skill the agent
// has, in a language the agent speaks. Below the queue's minimum proficiency
// the agent is marked Below: it serves only tasks escalation has opened to
// its level.
func (a Agent) Eligible(cfg *config.Config) []Eligibility {
	out := []Eligibility{}
	for _, q := range cfg.Queues {
		p, ok := a.Skills[q.Skill]
		if !ok || !speaks(a.Languages, q.Language) {
			continue
		}
		out = append(out, Eligibility{Queue: q.ID, Proficiency: p, Strategy: q.Strategy, Below: p < q.MinProficiency,
			Enforce: cfg.EnforceSchedules(q)})
	}
	return out
}

// speaks reports whether one of the agent's tags serves the queue's language:
// same base language, and the same region when the queue names one ("es" is
// served by "es-MX"; "pt-BR" is not served by "pt-PT").
func speaks(tags []string, want string) bool {
	wt, err := language.Parse(want)
	if err != nil {
		return false
	}
	wb, _, wr := wt.Raw()
	for _, s := range tags {
		t, err := language.Parse(s)
		if err != nil {
			continue
		}
		b, _, r := t.Raw()
		if b == wb && (wr.String() == "ZZ" || r == wr) {
			return true
		}
	}
	return false
}
