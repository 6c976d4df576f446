package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"switchboard/router"
	"switchboard/validation"
	"switchboard/workforce"
)

func (s agentsAPI) listAgents(c *gin.Context) {
	agents, err := s.app.Agents.Agents(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	if agents == nil {
		agents = []router.AgentView{}
	}
	if c.Query("format") == "csv" || strings.Contains(c.GetHeader("Accept"), "text/csv") {
		s.exportAgentsCSV(c, agents)
		return
	}
	respond(c, http.StatusOK, gin.H{"agents": agents})
}

func (s agentsAPI) getAgent(c *gin.Context) {
	a, err := s.app.Agents.Agent(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, a)
}

func (s agentsAPI) createAgent(c *gin.Context) {
	var a workforce.Agent
	if !bind(c, &a, false) {
		return
	}
	if _, err := s.app.Agents.Agent(c.Request.Context(), a.ID); err == nil {
		problem(c, http.StatusConflict, "agent "+a.ID+" exists; PUT /v1/agents/"+a.ID+" replaces it",
			validation.Error{Field: "id", Reason: "already exists"})
		return
	}
	s.saveAgent(c, a)
}

func (s agentsAPI) putAgent(c *gin.Context) {
	var a workforce.Agent
	if !bind(c, &a, false) {
		return
	}
	if a.ID == "" {
		a.ID = c.Param("id")
	}
	if a.ID != c.Param("id") {
		problem(c, http.StatusUnprocessableEntity, "the body's id differs from the path's",
			validation.Error{Field: "id", Reason: "must match the id in the path"})
		return
	}
	s.saveAgent(c, a)
}

func (s agentsAPI) saveAgent(c *gin.Context, a workforce.Agent) {
	v, created, err := s.app.Agents.SaveAgent(c.Request.Context(), a)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Header("Location", "/v1/agents/"+v.ID)
	}
	respond(c, status, v)
}

func (s agentsAPI) deleteAgent(c *gin.Context) {
	if err := s.app.Agents.DeleteAgent(c.Request.Context(), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// importAgents replaces or creates many agents at once, from CSV (text/csv,
// the columns of GET /v1/agents?format=csv) or JSON ({"agents": [...]}).
// Every row is checked before anything is written.
func (s agentsAPI) importAgents(c *gin.Context) {
	var agents []workforce.Agent
	if strings.HasPrefix(c.ContentType(), "text/csv") {
		var errs validation.Errors
		agents, errs = workforce.ReadAgentsCSV(c.Request.Body)
		if len(errs) > 0 {
			var maxErr *http.MaxBytesError
			if errors.As(errs, &maxErr) || strings.Contains(errs.Error(), "request body too large") {
				problem(c, http.StatusRequestEntityTooLarge, "the body is too large", validation.Error{Field: "body", Reason: "too large"})
				return
			}
			fail(c, errs)
			return
		}
	} else {
		var body struct {
			Agents []workforce.Agent `json:"agents"`
		}
		if !bind(c, &body, false) {
			return
		}
		agents = body.Agents
	}
	created, updated, err := s.app.Agents.ImportAgents(c.Request.Context(), agents)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, gin.H{"created": created, "updated": updated})
}

func (s agentsAPI) exportAgentsCSV(c *gin.Context, agents []router.AgentView) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Status(http.StatusOK)
	profiles := make([]workforce.Agent, len(agents))
	for i, a := range agents {
		profiles[i] = a.Agent
	}
	_ = workforce.WriteAgentsCSV(c.Writer, profiles)
}
