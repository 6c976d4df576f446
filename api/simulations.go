package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/sim"
	"switchboard/validation"
)

// maxSimulatedContacts bounds a simulation run inside a request; larger runs
// belong to the switchboard simulate command.
const maxSimulatedContacts = 50000

// simulation runs a what-if scenario on the real engine, in a workspace of
// its own, and answers with its report.
func (s *Server) simulation(c *gin.Context) {
	var sc sim.Scenario
	if !bind(c, &sc, false) {
		return
	}
	expected := 0.0
	for _, d := range sc.Demand {
		for _, n := range d.Contacts {
			expected += n
		}
	}
	if expected > maxSimulatedContacts {
		problem(c, http.StatusUnprocessableEntity, "too many contacts for a request: use switchboard simulate",
			validation.Error{Field: "demand", Reason: "more than 50000 expected contacts"})
		return
	}
	rep, err := sim.Run(c.Request.Context(), s.router.Store().Redis(), s.cfg, sc)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, rep)
}
