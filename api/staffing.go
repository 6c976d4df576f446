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
	resp, err := workforce.Staff(req)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, resp)
}
