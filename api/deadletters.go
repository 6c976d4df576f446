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

// replayDeadLetters hands dead letters back for delivery: all, or those of
// ?event_id=.
func (s reportingAPI) replayDeadLetters(c *gin.Context) {
	n, err := s.app.Reporting.ReplayDeadLetters(c.Request.Context(), c.Param("name"), c.Query("event_id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusAccepted, gin.H{"subscriber": c.Param("name"), "replayed": n})
}

// deleteDeadLetters removes dead letters: all, or those of ?event_id=.
func (s reportingAPI) deleteDeadLetters(c *gin.Context) {
	n, err := s.app.Reporting.DeleteDeadLetters(c.Request.Context(), c.Param("name"), c.Query("event_id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"subscriber": c.Param("name"), "deleted": n})
}
