package queues

import (
	"context"
	"time"
)

// SurveyPlan is a survey to ask of a completed contact.
type SurveyPlan struct {
	Task     string `json:"task"`
	Kind     string `json:"kind"`
	Question string `json:"question"`
	DueMS    int64  `json:"due_ms"`
	WindowMS int64  `json:"window_ms"`
}

// ScheduleSurvey plans a completed contact's survey; it reports whether it
// did, and why not ("surveyed", "opted_out", "no_customer", "not_completed").
func (s *Store) ScheduleSurvey(ctx context.Context, now time.Time, p SurveyPlan) (bool, string, error) {
	var r struct {
		Scheduled bool   `json:"scheduled"`
		Reason    string `json:"reason"`
	}
	err := s.run(ctx, scheduleSurveyScript, now, p, &r)
	return r.Scheduled, r.Reason, err
}

// SendSurveys asks up to limit due surveys; provider says whether the
// provider of Twilio contacts can be reached (the question then goes as a
// message of the conversation). It returns how many it asked.
func (s *Store) SendSurveys(ctx context.Context, now time.Time, limit int, provider bool) (int, error) {
	var r struct {
		Sent int `json:"sent"`
	}
	err := s.run(ctx, sendSurveysScript, now, struct {
		Limit    int  `json:"limit"`
		Provider bool `json:"provider"`
	}{limit, provider}, &r)
	return r.Sent, err
}
