package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s reportingAPI) listQueues(c *gin.Context) {
	qs, err := s.app.Reporting.Queues(c.Request.Context(), "")
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"queues": qs})
}

func (s reportingAPI) getQueue(c *gin.Context) {
	qs, err := s.app.Reporting.Queues(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, qs[0])
}
