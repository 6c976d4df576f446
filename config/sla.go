package config

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"switchboard/calendar"
	"switchboard/validation"
)

// Clock kinds of an SLA policy.
const (
	CalendarClock = "calendar" // runs all the time
	BusinessClock = "business" // runs only while the queue is open
)

// SLA is a service-level policy: targets, when to warn, and which clock.
type SLA struct {
	// FirstResponse: voice and chat, until an agent accepts; messaging
	// channels, until the first agent reply.
	FirstResponse time.Duration `yaml:"first_response"`
	// NextReply: messaging, from each customer message that follows an agent
	// reply until the next agent reply.
	NextReply time.Duration `yaml:"next_reply"`
	// Warning is the share of the target after which a warning fires (0.8).
	Warning float64 `yaml:"warning"`
	// Clock is calendar (default) or business (paused while the queue is closed).
	Clock      string        `yaml:"clock"`
	Priorities []PrioritySLA `yaml:"priorities"`
}

// PrioritySLA tightens the targets for tasks of at least MinPriority.
type PrioritySLA struct {
	MinPriority   int           `yaml:"min_priority"`
	FirstResponse time.Duration `yaml:"first_response"`
	NextReply     time.Duration `yaml:"next_reply"`
}

// Hours are a queue's hours of operation.
type Hours struct {
	TimeZone string `yaml:"time_zone"`
	// Weekly maps mon..sun to opening ranges such as "09:00-13:00".
	Weekly     map[string][]string `yaml:"weekly"`
	Holidays   []string            `yaml:"holidays"`
	Exceptions map[string][]string `yaml:"exceptions"` // date -> that day's ranges ([] closes it)
}

// Step is one escalation step of a queue, applied once to a waiting task,
// either After it was created or when its first-response warning fires.
type Step struct {
	After     time.Duration `yaml:"after"`
	AtWarning bool          `yaml:"at_warning"`
	// RaisePriority adds to the task's priority (at most 100).
	RaisePriority int `yaml:"raise_priority"`
	// Overflow adds queues whose agents may take the task too.
	Overflow []string `yaml:"overflow"`
	// Notify tells supervisors (an escalation event).
	Notify bool `yaml:"notify"`
	// MinProficiency lowers the proficiency an agent needs to take the task.
	MinProficiency int `yaml:"min_proficiency"`
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// buildCalendar checks hours and returns their calendar.
func buildCalendar(p string, h Hours, errs *validation.Errors) *calendar.Calendar {
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil || h.TimeZone == "" || h.TimeZone == "Local" {
		errs.Add(p+".time_zone", "%q is not an IANA time zone", h.TimeZone)
		return nil
	}
	c := &calendar.Calendar{Loc: loc, Closed: map[calendar.Date]bool{}, Special: map[calendar.Date][]calendar.Range{}}
	ranges := func(field string, specs []string) []calendar.Range {
		var rs []calendar.Range
		for i, s := range specs {
			r, err := calendar.ParseRange(s)
			if err != nil {
				errs.Add(fmt.Sprintf("%s[%d]", field, i), "%v", err)
				continue
			}
			rs = append(rs, r)
		}
		rs, err := calendar.Normalize(rs)
		if err != nil {
			errs.Add(field, "%v", err)
		}
		return rs
	}
	for _, day := range sortedKeys(h.Weekly) {
		wd, ok := weekdays[day]
		if !ok {
			errs.Add(p+".weekly."+day, "must be mon, tue, wed, thu, fri, sat or sun")
			continue
		}
		c.Weekly[wd] = ranges(p+".weekly."+day, h.Weekly[day])
	}
	for i, s := range h.Holidays {
		d, err := calendar.ParseDate(s)
		if err != nil {
			errs.Add(fmt.Sprintf("%s.holidays[%d]", p, i), "%v", err)
			continue
		}
		c.Closed[d] = true
	}
	for _, s := range sortedKeys(h.Exceptions) {
		d, err := calendar.ParseDate(s)
		if err != nil {
			errs.Add(p+".exceptions."+s, "%v", err)
			continue
		}
		c.Special[d] = ranges(p+".exceptions."+s, h.Exceptions[s])
	}
	return c
}

func validateSLA(p string, s SLA, errs *validation.Errors, channelDefault bool) {
	if channelDefault && s.FirstResponse <= 0 {
		errs.Add(p+".first_response", "must be positive")
	}
	if !channelDefault && s.FirstResponse < 0 {
		errs.Add(p+".first_response", "must be positive")
	}
	if s.NextReply < 0 {
		errs.Add(p+".next_reply", "must not be negative")
	}
	if s.Warning < 0 || s.Warning >= 1 {
		errs.Add(p+".warning", "must be a share of the target between 0 and 1, such as 0.8")
	}
	if s.Clock != "" && s.Clock != CalendarClock && s.Clock != BusinessClock {
		errs.Add(p+".clock", "must be calendar or business")
	}
	for i, ps := range s.Priorities {
		pp := fmt.Sprintf("%s.priorities[%d]", p, i)
		if ps.MinPriority < 1 || ps.MinPriority > 100 {
			errs.Add(pp+".min_priority", "must be between 1 and 100")
		}
		if ps.FirstResponse < 0 || ps.NextReply < 0 {
			errs.Add(pp+".first_response", "targets must not be negative")
		}
	}
}

func (c *Config) validateQueueExtras(errs *validation.Errors) {
	c.calendars = map[string]*calendar.Calendar{}
	for _, name := range sortedKeys(c.Hours) {
		if cal := buildCalendar("hours."+name, c.Hours[name], errs); cal != nil {
			c.calendars[name] = cal
		}
	}
	for i, q := range c.Queues {
		p := fmt.Sprintf("queues[%d]", i)
		if q.Hours != "" {
			if _, ok := c.Hours[q.Hours]; !ok {
				errs.Add(p+".hours", "unknown hours %q", q.Hours)
			}
		}
		for j, st := range q.Escalation {
			sp := fmt.Sprintf("%s.escalation[%d]", p, j)
			if (st.After > 0) == st.AtWarning {
				errs.Add(sp+".after", "give either after (a wait) or at_warning: true")
			}
			if st.After < 0 {
				errs.Add(sp+".after", "must be positive")
			}
			if st.RaisePriority < 0 || st.RaisePriority > 100 {
				errs.Add(sp+".raise_priority", "must be between 0 and 100")
			}
			for k, o := range st.Overflow {
				if _, ok := c.Queue(o); !ok || o == q.ID {
					errs.Add(fmt.Sprintf("%s.overflow[%d]", sp, k), "unknown queue %q (or the queue itself)", o)
				}
			}
			if st.MinProficiency != 0 && (st.MinProficiency < 1 || st.MinProficiency >= q.MinProficiency) {
				errs.Add(sp+".min_proficiency", "must be between 1 and the queue's min_proficiency - 1")
			}
			if st.RaisePriority == 0 && len(st.Overflow) == 0 && !st.Notify && st.MinProficiency == 0 {
				errs.Add(sp, "a step must raise the priority, lower the minimum proficiency, overflow or notify")
			}
		}
	}
}

// Calendar returns a queue's hours of operation, or nil when it is always open.
func (c *Config) Calendar(q Queue) *calendar.Calendar {
	if q.Hours == "" {
		return nil
	}
	return c.calendars[q.Hours]
}

// Policy is the SLA policy of a task: the channel's, overridden by the
// queue's for that channel, tightened for its priority.
func (c *Config) Policy(q Queue, channel string, priority int) SLA {
	p := c.Channels[channel].SLA
	if o, ok := q.SLA[channel]; ok {
		if o.FirstResponse > 0 {
			p.FirstResponse = o.FirstResponse
		}
		if o.NextReply > 0 {
			p.NextReply = o.NextReply
		}
		if o.Warning > 0 {
			p.Warning = o.Warning
		}
		if o.Clock != "" {
			p.Clock = o.Clock
		}
		if len(o.Priorities) > 0 {
			p.Priorities = o.Priorities
		}
	}
	ps := slices.Clone(p.Priorities)
	sort.Slice(ps, func(i, j int) bool { return ps[i].MinPriority > ps[j].MinPriority })
	for _, pr := range ps {
		if priority >= pr.MinPriority {
			if pr.FirstResponse > 0 {
				p.FirstResponse = pr.FirstResponse
			}
			if pr.NextReply > 0 {
				p.NextReply = pr.NextReply
			}
			break
		}
	}
	if p.Warning == 0 {
		p.Warning = 0.8
	}
	if p.Clock == "" {
		p.Clock = CalendarClock
	}
	return p
}
