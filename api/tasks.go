package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"switchboard/config"
	"switchboard/router"
)

func (s tasksAPI) createTask(c *gin.Context) {
	var req router.TaskRequest
	if !bind(c, &req, false) {
		return
	}
	if key := c.GetHeader("Idempotency-Key"); key != "" && req.IdempotencyKey == "" {
		req.IdempotencyKey = key
	}
	t, created, err := s.app.Tasks.CreateTask(c.Request.Context(), req)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK // the same idempotency key: the earlier task
	}
	c.Header("Location", "/v1/tasks/"+t.ID)
	respond(c, status, t)
}

// listTasks pages through tasks, newest first, with filters; an agent key
// lists only its own agent's tasks.
func (s tasksAPI) listTasks(c *gin.Context) {
	f := router.TaskFilter{State: c.Query("state"), Queue: c.Query("queue"), Channel: c.Query("channel"),
		Agent: c.Query("agent"), Customer: c.Query("customer"), CreatedAfter: c.Query("created_after"),
		CreatedBefore: c.Query("created_before"), Limit: c.Query("limit"), Cursor: c.Query("cursor")}
	if p := principal(c); p.Role == config.RoleAgent {
		if f.Agent != "" && f.Agent != p.AgentID {
			problem(c, http.StatusForbidden, "an agent key may list only its own agent's tasks")
			return
		}
		f.Agent = p.AgentID
	}
	page, err := s.app.Tasks.ListTasks(c.Request.Context(), f)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, page)
}

func (s tasksAPI) getTask(c *gin.Context) {
	t, err := s.app.Tasks.Task(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if p := principal(c); p.Role == config.RoleAgent && t.Agent != p.AgentID {
		problem(c, http.StatusForbidden, "an agent key may read only the tasks offered or assigned to its agent")
		return
	}
	respond(c, http.StatusOK, t)
}

// respondTask answers with the task's current state.
func (s tasksAPI) respondTask(c *gin.Context, id string) {
	t, err := s.app.Tasks.Task(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, t)
}

func (s tasksAPI) cancelTask(c *gin.Context) {
	var body struct {
		Reason string `json:"reason"`
	}
	if !bind(c, &body, false) {
		return
	}
	if err := s.app.Tasks.Cancel(c.Request.Context(), c.Param("id"), body.Reason); err != nil {
		fail(c, err)
		return
	}
	s.respondTask(c, c.Param("id"))
}

func (s tasksAPI) transferTask(c *gin.Context) {
	var to router.Transfer
	if !bind(c, &to, false) {
		return
	}
	if _, err := s.app.Tasks.Transfer(c.Request.Context(), c.Param("id"), to, actingAgent(c)); err != nil {
		fail(c, err)
		return
	}
	s.respondTask(c, c.Param("id"))
}

func (s tasksAPI) completeTask(c *gin.Context) {
	var body struct {
		Disposition string `json:"disposition"`
	}
	if !bind(c, &body, true) {
		return
	}
	if _, err := s.app.Tasks.Complete(c.Request.Context(), c.Param("id"), actingAgent(c), body.Disposition); err != nil {
		fail(c, err)
		return
	}
	s.respondTask(c, c.Param("id"))
}

func (s tasksAPI) readyTask(c *gin.Context) {
	if err := s.app.Tasks.Ready(c.Request.Context(), c.Param("id"), actingAgent(c)); err != nil {
		fail(c, err)
		return
	}
	s.respondTask(c, c.Param("id"))
}
