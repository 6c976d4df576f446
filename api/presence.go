package api

import (
	"github.com/gin-gonic/gin"

	"switchboard/router"
)

func (s agentsAPI) putPresence(c *gin.Context) {
	var p router.Presence
	if !bind(c, &p, false) {
		return
	}
	if err := s.app.Agents.SetPresence(c.Request.Context(), c.Param("id"), p); err != nil {
		fail(c, err)
		return
	}
	s.getAgent(c)
}
