package archive

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// QualityRow is one row of the quality report: a queue, agent or channel
// (Key), or the total ("").
type QualityRow struct {
	Key string `json:"key"`
	// Contacts created in the range, of them Completed and Canceled.
	Contacts  int `json:"contacts"`
	Completed int `json:"completed"`
	Canceled  int `json:"canceled"`
	// AHT is the average handle time (accepted to the end of wrap-up) of
	// the completed contacts, Resolution the average time from creation to
	// completion (seconds; null: none).
	AHT        *float64 `json:"aht_seconds"`
	Resolution *float64 `json:"resolution_seconds"`
	// FCR is the share of completed contacts whose customer did not come
	// back about the same skill, on any channel, within the window after the
	// end; FCRDecided counts those whose window has passed (the others,
	// FCRPending, are not counted yet).
	FCR        *float64 `json:"fcr"`
	FCRDecided int      `json:"fcr_decided"`
	FCRPending int      `json:"fcr_pending"`
	// Repeat is the share of contacts that followed an earlier contact of
	// the same customer about the same skill within the window.
	Repeat *float64 `json:"repeat_rate"`
	// CSAT is the share of CSAT answers of 4 or 5; NPS is promoters (9-10)
	// minus detractors (0-6), in percent of the NPS answers.
	CSAT        *float64 `json:"csat"`
	CSATAnswers int      `json:"csat_answers"`
	NPS         *float64 `json:"nps"`
	NPSAnswers  int      `json:"nps_answers"`
}

// QualityReport is the quality of the contacts created in [From, To).
type QualityReport struct {
	From      time.Time    `json:"from"`
	To        time.Time    `json:"to"`
	By        string       `json:"by"`
	FCRWindow string       `json:"fcr_window"`
	Rows      []QualityRow `json:"rows"`
	Total     QualityRow   `json:"total"`
}

// Record is what the report reads of one contact.
type Record struct {
	ID, Customer, Queue, Channel, Agent, State string
	Created, Ended                             time.Time
	HandleMS                                   *int64
	SurveyKind                                 string
	Score                                      *int
}

// Quality reads the contacts created in [from, to) with those around them
// that decide first-contact resolution and repeats (window either side),
// and reports them by queue, agent or channel. skill maps a queue to the
// skill FCR compares (a queue missing from it is its own skill).
func (a *Archive) Quality(ctx context.Context, from, to, now time.Time, by string, window time.Duration,
	skill func(queue string) string) (QualityReport, error) {
	rows, err := a.pool.Query(ctx, `SELECT c.id, c.customer_id, c.queue, c.channel, c.agent, c.state, c.created_at,
		c.ended_at, c.handle_ms, coalesce(s.kind, ''), s.score
		FROM contacts c LEFT JOIN survey_answers s ON s.workspace = c.workspace AND s.task_id = c.id
		WHERE c.workspace = $1 AND c.created_at >= $2 AND c.created_at < $3`,
		a.ws, from.Add(-window), to.Add(window))
	if err != nil {
		return QualityReport{}, fmt.Errorf("archive: quality: %w", err)
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) {
		var x Record
		err := r.Scan(&x.ID, &x.Customer, &x.Queue, &x.Channel, &x.Agent, &x.State, &x.Created, &x.Ended,
			&x.HandleMS, &x.SurveyKind, &x.Score)
		return x, err
	})
	if err != nil {
		return QualityReport{}, fmt.Errorf("archive: quality: %w", err)
	}
	return Quality(recs, from, to, now, by, window, skill), nil
}

// Quality computes the report from records (those of the range and those
// within window either side of it).
func Quality(recs []Record, from, to, now time.Time, by string, window time.Duration, skill func(string) string) QualityReport {
	// A customer's contacts about one skill, in creation order.
	type thread struct{ customer, skill string }
	threads := map[thread][]Record{}
	for _, r := range recs {
		if r.Customer != "" {
			k := thread{r.Customer, skill(r.Queue)}
			threads[k] = append(threads[k], r)
		}
	}
	for _, ts := range threads {
		slices.SortFunc(ts, func(a, b Record) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	}
	type acc struct {
		row                         QualityRow
		handle, resolve             float64
		handled, resolved           int
		fcrYes, repeats             int
		csatGood, promoters, detrac int
	}
	groups := map[string]*acc{}
	total := &acc{}
	for _, r := range recs {
		if r.Created.Before(from) || !r.Created.Before(to) {
			continue
		}
		key := map[string]string{"queue": r.Queue, "agent": r.Agent, "channel": r.Channel}[by]
		g := groups[key]
		if g == nil {
			g = &acc{row: QualityRow{Key: key}}
			groups[key] = g
		}
		var came, back bool // an earlier contact within the window; a later one after the end
		var decided bool
		if r.Customer != "" {
			ts := threads[thread{r.Customer, skill(r.Queue)}]
			i := slices.IndexFunc(ts, func(x Record) bool { return x.ID == r.ID })
			for j := i - 1; j >= 0; j-- {
				if r.Created.Sub(ts[j].Created) <= window {
					came = true
				}
				break
			}
			for j := i + 1; j < len(ts); j++ {
				if !ts[j].Created.After(r.Ended.Add(window)) && !ts[j].Created.After(now) {
					back = true
				}
				break
			}
		}
		decided = r.State == "completed" && (back || !now.Before(r.Ended.Add(window)))
		for _, a := range []*acc{g, total} {
			a.row.Contacts++
			if came {
				a.repeats++
			}
			switch r.State {
			case "completed":
				a.row.Completed++
				a.resolve += r.Ended.Sub(r.Created).Seconds()
				a.resolved++
				if r.HandleMS != nil {
					a.handle += float64(*r.HandleMS) / 1000
					a.handled++
				}
				if decided {
					a.row.FCRDecided++
					if !back {
						a.fcrYes++
					}
				} else {
					a.row.FCRPending++
				}
			case "canceled":
				a.row.Canceled++
			}
			if r.Score != nil {
				switch r.SurveyKind {
				case "csat":
					a.row.CSATAnswers++
					if *r.Score >= 4 {
						a.csatGood++
					}
				case "nps":
					a.row.NPSAnswers++
					if *r.Score >= 9 {
						a.promoters++
					} else if *r.Score <= 6 {
						a.detrac++
					}
				}
			}
		}
	}
	ratio := func(n, d int) *float64 {
		if d == 0 {
			return nil
		}
		v := float64(n) / float64(d)
		return &v
	}
	finish := func(a *acc) QualityRow {
		r := a.row
		if a.handled > 0 {
			v := a.handle / float64(a.handled)
			r.AHT = &v
		}
		if a.resolved > 0 {
			v := a.resolve / float64(a.resolved)
			r.Resolution = &v
		}
		r.FCR = ratio(a.fcrYes, r.FCRDecided)
		r.Repeat = ratio(a.repeats, r.Contacts)
		r.CSAT = ratio(a.csatGood, r.CSATAnswers)
		if r.NPSAnswers > 0 {
			v := 100 * float64(a.promoters-a.detrac) / float64(r.NPSAnswers)
			r.NPS = &v
		}
		return r
	}
	rep := QualityReport{From: from, To: to, By: by, FCRWindow: window.String(), Rows: []QualityRow{}}
	for _, g := range groups {
		rep.Rows = append(rep.Rows, finish(g))
	}
	slices.SortFunc(rep.Rows, func(a, b QualityRow) int { return cmp.Compare(a.Key, b.Key) })
	rep.Total = finish(total)
	return rep
}
