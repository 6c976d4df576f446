package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s planningAPI) adherence(c *gin.Context) {
	rows, err := s.app.Planning.Adherence(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := 0
	for _, r := range rows {
		if !r.InAdherence {
			out++
		}
	}
	respond(c, http.StatusOK, gin.H{"agents": rows, "out_of_adherence": out})
}
