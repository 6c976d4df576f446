package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"switchboard/jobs"
	"switchboard/queues"
)

// startJob runs work in the background and answers 202 with the job and
// its Location; 429 when the workspace runs as many jobs as it may.
func (s planningAPI) startJob(c *gin.Context, kind string, input any, work jobs.Work) {
	if s.noJobs(c) {
		return
	}
	j, err := s.jobs.Start(c.Request.Context(), kind, input, work)
	if err != nil {
		if queues.Unavailable(err) {
			fail(c, err)
			return
		}
		if isBusy(err) {
			c.Header("Retry-After", "10")
			problem(c, http.StatusTooManyRequests, "as many jobs run as the workspace allows: wait for one to end, or cancel one (DELETE /v1/jobs/{id})")
			return
		}
		fail(c, err)
		return
	}
	c.Header("Location", "/v1/jobs/"+j.ID)
	respond(c, http.StatusAccepted, j)
}

func isBusy(err error) bool { return errors.Is(err, queues.ErrBusy) }

// noJobs answers 503 when this replica runs no background jobs.
func (s planningAPI) noJobs(c *gin.Context) bool {
	if s.jobs == nil {
		problem(c, http.StatusServiceUnavailable, "background jobs are not running on this replica")
		return true
	}
	return false
}

func (s planningAPI) getJob(c *gin.Context) {
	if s.noJobs(c) {
		return
	}
	j, err := s.jobs.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusOK, j)
}

func (s planningAPI) cancelJob(c *gin.Context) {
	if s.noJobs(c) {
		return
	}
	j, err := s.jobs.Cancel(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	respond(c, http.StatusAccepted, j)
}

// jobEvents streams a job's progress as server-sent events (progress, then
// one done, failed or canceled event with the job) until it ends.
func (s planningAPI) jobEvents(c *gin.Context) {
	if s.noJobs(c) {
		return
	}
	ctx := c.Request.Context()
	j, err := s.jobs.Get(ctx, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-cache")
	c.Status(http.StatusOK)
	last := -1.0
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		if j.State != "running" {
			writeJobEvent(c, j.State, j)
			return
		}
		if j.Progress != last {
			writeJobEvent(c, "progress", gin.H{"id": j.ID, "progress": j.Progress})
			last = j.Progress
		}
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		case <-t.C:
		}
		if j, err = s.jobs.Get(ctx, j.ID); err != nil {
			return
		}
	}
}

func writeJobEvent(c *gin.Context, typ string, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(c.Writer, "event: %s\ndata: %s\n\n", typ, b)
	c.Writer.Flush()
}
