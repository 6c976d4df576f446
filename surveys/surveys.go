// Package surveys asks customers how a completed contact went (CSAT or
// NPS, by the configuration's survey rules) and reads their answers: a
// consumer of the events stream plans a survey for each completed contact a
// rule samples, and asks those that are due. Answers arrive as the
// customer's next message (see queues' create_task and ParseScore).
package surveys

import (
	"cmp"
	"context"
	"hash/fnv"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"switchboard/clock"
	"switchboard/config"
	"switchboard/queues"
)

// Group is the surveys' consumer group on the events stream.
const Group = "surveys"

// Worker plans and asks surveys.
type Worker struct {
	Store  *queues.Store
	Config *config.Config
	Clock  clock.Clock
	Log    *slog.Logger
	// Name is this replica's consumer name.
	Name string
	// Provider: Twilio is configured (questions to Twilio contacts go as
	// messages of their conversation).
	Provider bool
	// Block is how long a pass waits for events (default 1s).
	Block time.Duration
}

// Run plans and asks surveys until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	if len(w.Config.Surveys.Rules) == 0 {
		return nil
	}
	for ctx.Err() == nil {
		if _, _, err := w.Pass(ctx, cmp.Or(w.Block, time.Second)); err != nil && ctx.Err() == nil {
			w.Log.Error("surveys", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// Pass plans the surveys of the contacts completed since the last pass
// (waiting up to block for some) and asks those due; it returns how many
// it planned and asked.
func (w *Worker) Pass(ctx context.Context, block time.Duration) (planned, asked int, err error) {
	out := w.Store.Outbox()
	// Only contacts completed from now on: a new deployment does not survey
	// the whole history.
	if err := out.EnsureGroupFrom(ctx, Group, "$"); err != nil {
		return 0, 0, err
	}
	evs, err := out.Claim(ctx, Group, w.Name, time.Minute, 200)
	if err == nil && len(evs) == 0 {
		evs, err = out.ReadGroup(ctx, Group, w.Name, 200, block)
	}
	if err != nil {
		return 0, 0, err
	}
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
		if e.Type != "task.completed" {
			continue
		}
		plan, ok := w.plan(e)
		if !ok {
			continue
		}
		done, _, err := w.Store.ScheduleSurvey(ctx, w.Clock.Now(), plan)
		if err != nil {
			return planned, 0, err
		}
		if done {
			planned++
		}
	}
	if err := out.Ack(ctx, Group, ids...); err != nil {
		return planned, 0, err
	}
	asked, err = w.Store.SendSurveys(ctx, w.Clock.Now(), 100, w.Provider)
	return planned, asked, err
}

// plan is the survey a completed contact gets, if a rule samples it.
func (w *Worker) plan(e queues.Event) (queues.SurveyPlan, bool) {
	task, q, ch := e.Fields["task"], e.Fields["queue"], e.Fields["channel"]
	rule, ok := w.Config.SurveyFor(q, ch)
	if !ok || !Sampled(task, rule.Share()) {
		return queues.SurveyPlan{}, false
	}
	lang := w.Config.Customers.DefaultLanguage
	if qc, ok := w.Config.Queue(q); ok && qc.Language != "" {
		lang = qc.Language
	}
	return queues.SurveyPlan{Task: task, Kind: rule.Kind, Question: rule.Text(lang),
		DueMS: e.At.Add(rule.After()).UnixMilli(), WindowMS: cmp.Or(rule.Window, 24*time.Hour).Milliseconds()}, true
}

// Sampled tells whether a task falls in a sample of the given share: the
// same task always gives the same answer, on every replica.
func Sampled(task string, share float64) bool {
	if share >= 1 {
		return true
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(task))
	return float64(h.Sum32())/(1<<32) < share
}

var scoreText = regexp.MustCompile(`^(\d{1,2})(\s*(/\s*(5|10)|stars?|estrellas?|étoiles?|estrelas?|points?|puntos?))?[.!]?$`)

// ParseScore reads a reply as a survey score: "5", "4/5", "9 / 10", "5
// stars". Anything else (a sentence, a number inside one) is not a score.
func ParseScore(text string) (int, bool) {
	m := scoreText.FindStringSubmatch(strings.ToLower(strings.TrimSpace(text)))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil && n <= 10
}

// Bucket is the reporting bucket of a score: for CSAT satisfied (4-5),
// neutral (3), dissatisfied (1-2); for NPS promoter (9-10), passive (7-8),
// detractor (0-6).
func Bucket(kind string, score int) string {
	if kind == "nps" {
		switch {
		case score >= 9:
			return "promoter"
		case score >= 7:
			return "passive"
		}
		return "detractor"
	}
	switch {
	case score >= 4:
		return "satisfied"
	case score == 3:
		return "neutral"
	}
	return "dissatisfied"
}
