package router

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"switchboard/config"
	"switchboard/queues"
	"switchboard/surveys"
	"switchboard/validation"
)

// Detector guesses the language of a text among the configured languages.
type Detector interface {
	Detect(text string) (string, bool)
}

// Inbound is a contact from a provider, as the HTTP layer normalised it.
type Inbound struct {
	Source   string // "twilio" or the generic source's name
	Channel  string
	EventID  string // the provider's id of this event: retries repeat it
	To       string // the number or address the customer contacted
	Identity string // the customer's identity key, e.g. phone:+34600111222
	// Also are further identities the provider gave (an e-mail beside a
	// phone): they are linked to the same customer.
	Also       []string
	Region     string // the country of the customer's phone number, if known
	Name       string
	Text       string
	Media      []string
	Language   string // explicit, from the provider
	Skill      string // explicit, from the provider
	IVR        IVRChoice
	Attributes map[string]string
	// Callback makes the contact an outbound call to make; with the queue
	// closed it waits, scheduled, until the queue opens (its SLA clock
	// starts then).
	Callback bool
}

// IVRChoice is what a caller chose in the IVR.
type IVRChoice struct {
	Language, Skill string
}

// Ingested is what became of an inbound contact.
type Ingested struct {
	Task      queues.Task
	Joined    bool // a message added to the customer's open conversation
	Duplicate bool // a provider retry: nothing was written
	Language  string
	// LanguageFrom says which clue decided the language: explicit, ivr,
	// detected, country, rule or default.
	LanguageFrom string
	// Closed is set when the queue is closed now: NextOpen says when it opens.
	Closed   bool
	NextOpen time.Time
	// Survey: the message answered the survey of Task (answered) or
	// stopped surveys (opted_out); no contact was made.
	Survey string
}

// Destination is where an inbound contact would go.
type Destination struct {
	Queue        config.Queue
	Language     string
	LanguageFrom string
	Priority     int
	Closed       bool
	NextOpen     time.Time // zero when open, or when it never opens
}

// Resolve says where a contact would go, and whether that queue is open,
// without writing anything.
func (r *Contacts) Resolve(in Inbound) (Destination, error) {
	if _, ok := r.cfg.Channels[in.Channel]; !ok {
		return Destination{}, validation.Errors{{Field: "channel", Reason: "is not a configured channel"}}
	}
	rule := r.matchRule(in)
	lang, from := r.contactLanguage(in, rule)
	q, err := r.contactQueue(in, rule, lang)
	if err != nil {
		return Destination{}, err
	}
	d := Destination{Queue: q, Language: lang, LanguageFrom: from, Priority: rule.Priority}
	if cal := r.cfg.Calendar(q); cal != nil {
		now := r.clock.Now()
		if !cal.Open(now) {
			d.Closed = true
			d.NextOpen, _ = cal.NextOpen(now)
		}
	}
	return d, nil
}

// Ingest routes an inbound contact: the routing rules give the skill, the
// language comes from the first clue that names a configured language
// (explicit, IVR choice, the message text, the phone number's country, the
// rule, the default), and the pair gives the queue.
func (r *Contacts) Ingest(ctx context.Context, in Inbound) (Ingested, error) {
	dest, err := r.Resolve(in)
	if err != nil {
		return Ingested{}, err
	}
	return r.IngestTo(ctx, in, dest)
}

// IngestTo routes an inbound contact to a destination Resolve gave.
func (r *Contacts) IngestTo(ctx context.Context, in Inbound, dest Destination) (Ingested, error) {
	q, lang, from := dest.Queue, dest.Language, dest.LanguageFrom
	now := r.clock.Now()
	attrs := map[string]string{}
	maps.Copy(attrs, in.Attributes)
	attrs["source"] = in.Source
	attrs["language_from"] = from
	if in.To != "" {
		attrs["to"] = in.To
	}
	attrJSON, _ := json.Marshal(attrs)
	customer, _ := json.Marshal(map[string]string{"name": in.Name, "identity": in.Identity})
	var msg []byte
	if in.Text != "" || len(in.Media) > 0 {
		msg, _ = json.Marshal(message{ID: in.EventID, Direction: "in", At: now.UnixMilli(), Text: in.Text, Media: in.Media})
	}
	cu := r.cfg.Customers
	start := now
	if in.Callback && dest.Closed && dest.NextOpen.After(now) {
		start = dest.NextOpen
	}
	nt := r.newTask(q, in.Channel, dest.Priority, start)
	if in.Callback {
		nt.Kind, nt.NotBefore = "callback", start
	}
	nt.IdempotencyKey = in.Source + ":" + in.EventID
	nt.Customer, nt.Attributes = customer, attrJSON
	nt.IdentityKeys = append([]string{in.Identity}, in.Also...)
	cid, err := r.customerID(ctx, r.store, nt.IdentityKeys)
	if err != nil {
		return Ingested{}, err
	}
	nt.NewCustomerID, nt.CustomerName = cid, in.Name
	nt.Message, nt.Join = msg, in.Channel != "voice"
	if in.Text != "" && len(in.Media) == 0 {
		if n, ok := surveys.ParseScore(in.Text); ok {
			nt.SurveyScore = &n
		}
		nt.OptOut = r.cfg.Surveys.OptsOut(in.Text)
	}
	nt.PreferredWindow, nt.PreferredWait = cu.PreferredAgentWindow, cu.PreferredAgentWait
	cr, err := r.store.CreateTask(ctx, now, nt)
	if err != nil {
		return Ingested{}, err
	}
	t, err := r.store.GetTask(ctx, cr.TaskID)
	if cr.Survey != "" {
		if errors.Is(err, queues.ErrNotFound) {
			err = nil // an opt-out of a survey whose contact retention took
		}
		return Ingested{Task: t, Survey: cr.Survey, Language: lang, LanguageFrom: from}, err
	}
	return Ingested{Task: t, Joined: cr.Joined, Duplicate: cr.Duplicate, Language: lang, LanguageFrom: from,
		Closed: dest.Closed, NextOpen: dest.NextOpen}, err
}

// message is one message of a conversation, as stored.
type message struct {
	ID        string   `json:"id,omitempty"`
	Direction string   `json:"direction"` // in (customer) or out (agent)
	At        int64    `json:"at"`
	Agent     string   `json:"agent,omitempty"`
	Text      string   `json:"text"`
	Media     []string `json:"media,omitempty"`
}

// matchRule returns the first routing rule that matches, or a default rule
// for the default language's first skill when none is configured.
func (r *Contacts) matchRule(in Inbound) config.Rule {
	for _, rule := range r.cfg.Rules {
		if rule.Channel != "" && rule.Channel != in.Channel ||
			rule.To != "" && rule.To != strings.TrimPrefix(in.To, "whatsapp:") ||
			rule.Source != "" && rule.Source != in.Source ||
			rule.IVR != "" && rule.IVR != in.IVR.Skill {
			continue
		}
		matched := true
		for k, v := range rule.Attributes {
			if in.Attributes[k] != v {
				matched = false
			}
		}
		if matched {
			return rule
		}
	}
	return config.Rule{Skill: r.cfg.Skills[0]}
}

func (r *Contacts) contactLanguage(in Inbound, rule config.Rule) (string, string) {
	if l := r.configuredLanguage(in.Language); l != "" {
		return l, "explicit"
	}
	if l := r.configuredLanguage(in.IVR.Language); l != "" {
		return l, "ivr"
	}
	if r.detect != nil && in.Text != "" {
		if l, ok := r.detect.Detect(in.Text); ok {
			return l, "detected"
		}
	}
	if l := r.cfg.Customers.CountryLanguages[in.Region]; l != "" {
		return l, "country"
	}
	if rule.Language != "" {
		return rule.Language, "rule"
	}
	return r.cfg.Customers.DefaultLanguage, "default"
}

// configuredLanguage maps a tag to the configured language it names ("es-MX"
// to "es"), or "" when none.
func (r *base) configuredLanguage(tag string) string {
	if tag == "" {
		return ""
	}
	t, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	if slices.Contains(r.cfg.Languages, t.String()) {
		return t.String()
	}
	base, _ := t.Base()
	for _, l := range r.cfg.Languages {
		if lt, err := language.Parse(l); err == nil {
			if lb, _ := lt.Base(); lb == base {
				return l
			}
		}
	}
	return ""
}

func (r *Contacts) contactQueue(in Inbound, rule config.Rule, lang string) (config.Queue, error) {
	skill := rule.Skill
	if rule.Queue != "" && in.Skill == "" {
		if q, ok := r.cfg.Queue(rule.Queue); ok {
			return q, nil
		}
	}
	if in.IVR.Skill != "" && slices.Contains(r.cfg.Skills, in.IVR.Skill) {
		skill = in.IVR.Skill
	}
	if in.Skill != "" {
		if !slices.Contains(r.cfg.Skills, in.Skill) {
			return config.Queue{}, validation.Errors{{Field: "skill", Reason: "unknown skill " + in.Skill}}
		}
		skill = in.Skill
	}
	for _, l := range []string{lang, r.cfg.Customers.DefaultLanguage} {
		for _, q := range r.cfg.Queues {
			if q.Skill == skill && q.Language == l {
				return q, nil
			}
		}
	}
	return config.Queue{}, validation.Errors{{Field: "skill", Reason: "no queue serves " + skill + " in " + lang + " or the default language"}}
}

// Messages returns a task's conversation.
func (r *Contacts) Messages(ctx context.Context, taskID string) ([]json.RawMessage, error) {
	_, archived, err := r.task(ctx, r.store, taskID)
	if err != nil {
		return nil, err
	}
	if archived {
		return r.history.Messages(ctx, taskID)
	}
	return r.store.Messages(ctx, taskID)
}

// Reply records an agent's reply to a task the agent holds, in one step
// with its checks. A conversation from Twilio is answered through a send
// hand-off (Reply.Handoff) that retries until Twilio takes the message; the
// message is "sending" until then. The first reply sent is the task's first
// response.
func (r *Contacts) Reply(ctx context.Context, taskID, asAgent, text string) (queues.Reply, error) {
	var errs validation.Errors
	if strings.TrimSpace(text) == "" {
		errs.Add("text", "is required")
	} else if len(text) > 1600 {
		errs.Add("text", "must be at most 1600 bytes")
	}
	if len(errs) > 0 {
		return queues.Reply{}, errs
	}
	rep, err := r.store.AddReply(ctx, r.clock.Now(), taskID, asAgent, text, r.cfg.Twilio.Enabled())
	if errors.Is(err, queues.ErrInvalid) {
		return queues.Reply{}, validation.Errors{{Field: "text", Reason: "a voice task takes no messages"}}
	}
	return rep, err
}

// CustomerByIdentity returns the customer an identity key (phone:+E164,
// email:…, social:network:handle, web:id) is linked to.
func (r *Contacts) CustomerByIdentity(ctx context.Context, identity string) (queues.Customer, error) {
	id, err := r.store.CustomerByIdentity(ctx, identity)
	if err != nil {
		return queues.Customer{}, err
	}
	return r.Customer(ctx, id)
}

// DeadLetters returns what an event webhook subscriber could not take.
func (r *Reporting) DeadLetters(ctx context.Context, subscriber string) ([]json.RawMessage, error) {
	if err := r.knownSubscriber(subscriber); err != nil {
		return nil, err
	}
	raw, err := r.store.DeadLetters(ctx, subscriber)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(raw))
	for i, e := range raw {
		out[i] = json.RawMessage(e)
	}
	return out, nil
}

// ReplayDeadLetters hands a subscriber's dead letters (those of one event,
// or all when event is "") back to its deliverer, which sends them before
// new events; it returns how many.
func (r *Reporting) ReplayDeadLetters(ctx context.Context, subscriber, event string) (int, error) {
	if err := r.knownSubscriber(subscriber); err != nil {
		return 0, err
	}
	return r.store.ReplayDeadLetters(ctx, r.clock.Now(), subscriber, event)
}

// DeleteDeadLetters removes a subscriber's dead letters (those of one event,
// or all when event is ""); it returns how many.
func (r *Reporting) DeleteDeadLetters(ctx context.Context, subscriber, event string) (int, error) {
	if err := r.knownSubscriber(subscriber); err != nil {
		return 0, err
	}
	return r.store.DeleteDeadLetters(ctx, r.clock.Now(), subscriber, event)
}

func (r *Reporting) knownSubscriber(name string) error {
	for _, w := range r.cfg.EventWebhooks {
		if w.Name == name {
			return nil
		}
	}
	return &queues.Error{Code: "webhook_not_found", Detail: name}
}

// Customer returns a customer with their latest contacts.
func (r *Contacts) Customer(ctx context.Context, id string) (queues.Customer, error) {
	return r.customer(ctx, r.store, id, 50)
}

// Abandon ends a task whose customer left (a caller hung up while waiting).
// A task already with an agent is left to the agent, who is told the
// caller is gone (call.ended).
func (r *Contacts) Abandon(ctx context.Context, source, eventID string) (queues.Task, bool, error) {
	id, err := r.store.TaskByIdempotencyKey(ctx, source+":"+eventID)
	if err != nil {
		return queues.Task{}, false, err
	}
	_, err = r.store.CancelWaiting(ctx, r.clock.Now(), id, "abandoned")
	abandoned := err == nil
	if errors.Is(err, queues.ErrConflict) {
		if _, err := r.store.CallEnded(ctx, r.clock.Now(), id); err != nil {
			return queues.Task{}, false, err
		}
	} else if err != nil {
		return queues.Task{}, false, err
	}
	t, err := r.store.GetTask(ctx, id)
	return t, abandoned, err
}

// MessageFailed records a failed delivery of an agent's message.
func (r *Contacts) MessageFailed(ctx context.Context, providerID, status, code string) error {
	_, err := r.store.MessageFailed(ctx, r.clock.Now(), providerID, status, code)
	return err
}
