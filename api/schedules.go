package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/workforce"
)

func (s planningAPI) putSchedule(c *gin.Context) {
	var sched workforce.Schedule
	if !bind(c, &sched, false) {
		return
	}
	v, err := s.app.Planning.SaveSchedule(c.Request.Context(), c.Param("id"), sched)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, v)
}

func (s planningAPI) getSchedule(c *gin.Context) {
	v, err := s.app.Planning.Schedule(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, v)
}

// putSchedules sets many agents' schedules at once ({"schedules": {"ana": {...}}}):
// all are checked first and stored in one step.
func (s planningAPI) putSchedules(c *gin.Context) {
	var body struct {
		Schedules map[string]workforce.Schedule `json:"schedules"`
	}
	if !bind(c, &body, false) {
		return
	}
	n, err := s.app.Planning.SaveSchedules(c.Request.Context(), body.Schedules)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"stored": n})
}
