package archive

import (
	"context"
	"fmt"
	"time"
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

// Quality reports the contacts created in [from, to) by queue, agent or
// channel, computed in the database (a year of a large center stays
// there): first-contact resolution and repeats look at each contact's
// neighbours in its customer's contacts about the same skill (window
// functions), so contacts up to window either side of the range count.
// skill maps a queue to the skill FCR compares (a queue it lacks is its
// own skill).
func (a *Archive) Quality(ctx context.Context, from, to, now time.Time, by string, window time.Duration,
	skills map[string]string) (QualityReport, error) {
	col := map[string]string{"queue": "queue", "agent": "agent", "channel": "channel"}[by]
	if col == "" {
		return QualityReport{}, fmt.Errorf("archive: quality by %q", by)
	}
	qs, ss := []string{}, []string{}
	for q, sk := range skills {
		qs, ss = append(qs, q), append(ss, sk)
	}
	rows, err := a.pool.Query(ctx, `WITH sk(queue, skill) AS (SELECT * FROM unnest($5::text[], $6::text[])),
	c AS (
		SELECT c.id, c.customer_id, c.queue, c.channel, c.agent, c.state, c.created_at, c.ended_at, c.handle_ms,
			coalesce(sk.skill, c.queue) AS skill, s.kind, s.score
		FROM contacts c LEFT JOIN sk ON sk.queue = c.queue
		LEFT JOIN survey_answers s ON s.workspace = c.workspace AND s.task_id = c.id
		WHERE c.workspace = $1 AND c.created_at >= $2::timestamptz - $4 * interval '1 millisecond'
			AND c.created_at < $3::timestamptz + $4 * interval '1 millisecond'),
	w AS (
		SELECT *,
			customer_id <> '' AND lag(created_at) OVER p >= created_at - $4 * interval '1 millisecond' AS came,
			customer_id <> '' AND lead(created_at) OVER p <= least(ended_at + $4 * interval '1 millisecond', $7) AS back
		FROM c WINDOW p AS (PARTITION BY customer_id, skill ORDER BY created_at, id)),
	x AS (
		SELECT *, state = 'completed' AND (coalesce(back, false) OR $7 >= ended_at + $4 * interval '1 millisecond') AS decided
		FROM w WHERE created_at >= $2 AND created_at < $3)
	SELECT `+col+`, grouping(`+col+`), count(*),
		count(*) FILTER (WHERE state = 'completed'),
		count(*) FILTER (WHERE state = 'canceled'),
		avg(handle_ms / 1000.0) FILTER (WHERE state = 'completed'),
		avg(extract(epoch FROM ended_at - created_at)::float8) FILTER (WHERE state = 'completed'),
		count(*) FILTER (WHERE decided),
		count(*) FILTER (WHERE decided AND NOT coalesce(back, false)),
		count(*) FILTER (WHERE state = 'completed' AND NOT decided),
		count(*) FILTER (WHERE coalesce(came, false)),
		count(*) FILTER (WHERE kind = 'csat'),
		count(*) FILTER (WHERE kind = 'csat' AND score >= 4),
		count(*) FILTER (WHERE kind = 'nps'),
		count(*) FILTER (WHERE kind = 'nps' AND score >= 9),
		count(*) FILTER (WHERE kind = 'nps' AND score <= 6)
	FROM x GROUP BY ROLLUP (`+col+`) ORDER BY grouping(`+col+`), `+col,
		a.ws, from, to, window.Milliseconds(), qs, ss, now)
	if err != nil {
		return QualityReport{}, fmt.Errorf("archive: quality: %w", err)
	}
	defer rows.Close()
	rep := QualityReport{From: from, To: to, By: by, FCRWindow: window.String(), Rows: []QualityRow{}}
	for rows.Next() {
		var key *string
		var total int
		var r QualityRow
		var fcrYes, repeats, csatGood, promoters, detractors int
		if err := rows.Scan(&key, &total, &r.Contacts, &r.Completed, &r.Canceled, &r.AHT, &r.Resolution,
			&r.FCRDecided, &fcrYes, &r.FCRPending, &repeats, &r.CSATAnswers, &csatGood, &r.NPSAnswers,
			&promoters, &detractors); err != nil {
			return QualityReport{}, fmt.Errorf("archive: quality: %w", err)
		}
		r.FCR = ratio(fcrYes, r.FCRDecided)
		r.Repeat = ratio(repeats, r.Contacts)
		r.CSAT = ratio(csatGood, r.CSATAnswers)
		if r.NPSAnswers > 0 {
			v := 100 * float64(promoters-detractors) / float64(r.NPSAnswers)
			r.NPS = &v
		}
		if total == 1 {
			rep.Total = r
			continue
		}
		if key != nil {
			r.Key = *key
		}
		rep.Rows = append(rep.Rows, r)
	}
	return rep, rows.Err()
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}
