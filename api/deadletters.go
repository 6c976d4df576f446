package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s reportingAPI) deadLetters(c *gin.Context) {
	entries, err := s.app.Reporting.DeadLetters(c.Request.Context(), c.Param("name"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"subscriber": c.Param("name"), "dead_letters": entries})
}
