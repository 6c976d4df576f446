package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/sim"
	"switchboard/validation"
)

// maxSimulatedContacts bounds a simulation the API runs; larger runs belong
// to the switchboard simulate command.
const maxSimulatedContacts = 50000

// simulation starts a what-if scenario on the real engine, in a workspace
// of its own, as a background job: 202 with the job, whose result (GET
// /v1/jobs/{id}, or its events) is the report.
//
// With ?center=voice&from=&to= it simulates the center as it stands instead:
// the stored forecasts and the scheduled agents, overridden by any scenario
// fields given in the body (patience, answer time, handle-time model, seed).
func (s planningAPI) simulation(c *gin.Context) {
	var sc sim.Scenario
	if ch := c.Query("center"); ch != "" {
		var errs validation.Errors
		q := s.planQuery(c, &errs)
		if _, ok := s.cfg.Channels[ch]; !ok {
			errs.Add("center", "unknown channel %q", ch)
		}
		if len(errs) > 0 {
			fail(c, errs)
			return
		}
		var err error
		if sc, err = s.simulator.FromCenter(c.Request.Context(), ch, q.from, q.to, q.minutes); err != nil {
			fail(c, err)
			return
		}
	}
	if !bind(c, &sc, c.Query("center") != "") {
		return
	}
	expected := 0.0
	for _, d := range sc.Demand {
		for _, n := range d.Contacts {
			expected += n
		}
	}
	if expected*float64(max(sc.Replications, 1)) > maxSimulatedContacts {
		problem(c, http.StatusUnprocessableEntity, "too many contacts for a request: use switchboard simulate",
			validation.Error{Field: "demand", Reason: "more than 50000 expected contacts (over all replications)"})
		return
	}
	// A scenario with invalid fields is refused now, not in the job.
	if err := s.simulator.Check(sc); err != nil {
		fail(c, err)
		return
	}
	s.startJob(c, "simulation", sc, func(ctx context.Context, progress func(float64)) (any, error) {
		sc.Progress = progress
		return s.simulator.Run(ctx, sc)
	})
}
