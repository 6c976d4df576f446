package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/workforce"
)

// staffing answers how many agents each queue needs per interval, by Erlang C
// and (given the customers' patience) Erlang A.
func (s planningAPI) staffing(c *gin.Context) {
	var req workforce.StaffingRequest
	if !bind(c, &req, false) {
		return
	}
	// The computation stops when the client goes away (its context ends).
	resp, err := workforce.Staff(c.Request.Context(), req)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, resp)
}
