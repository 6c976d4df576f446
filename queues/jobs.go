package queues

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Jobs are the workspace's background jobs (simulations, simulated
// coverage): their records, a bound on how many run at once, and the
// leases of the replicas running them.
type Jobs struct{ *core }

// Job is a background job as stored.
type Job struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	State     string          `json:"state"` // running, done, failed, canceled
	Progress  float64         `json:"progress"`
	CreatedAt time.Time       `json:"created_at"`
	EndedAt   *time.Time      `json:"ended_at,omitempty"`
	Error     string          `json:"error,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	// CancelAsked: a cancel was asked and the running replica has not yet stopped.
	CancelAsked bool `json:"cancel_requested,omitempty"`
}

type jobReply struct {
	State   string `json:"state"`
	Cancel  bool   `json:"cancel"`
	Running int    `json:"running"`
}

func (s *Jobs) op(ctx context.Context, now time.Time, args any) (jobReply, error) {
	var r jobReply
	err := s.run(ctx, jobsScript, now, args, &r)
	return r, err
}

// Start records a running job, unless max are running already (ErrConflict).
func (s *Jobs) Start(ctx context.Context, now time.Time, id, kind, owner string, input []byte, max int, lease time.Duration) error {
	_, err := s.op(ctx, now, struct {
		Op      string `json:"op"`
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Owner   string `json:"owner"`
		Max     int    `json:"max"`
		LeaseMS int64  `json:"lease_ms"`
		Input   string `json:"input"`
	}{"start", id, kind, owner, max, lease.Milliseconds(), string(input)})
	if err != nil {
		return fmt.Errorf("start job: %w", err)
	}
	return nil
}

// Progress records how far a job is and renews its lease; it reports
// whether the job should stop (a cancel was asked, or it is no longer running).
func (s *Jobs) Progress(ctx context.Context, now time.Time, id string, progress float64, lease time.Duration) (bool, error) {
	r, err := s.op(ctx, now, struct {
		Op       string  `json:"op"`
		ID       string  `json:"id"`
		Progress float64 `json:"progress"`
		LeaseMS  int64   `json:"lease_ms"`
	}{"progress", id, progress, lease.Milliseconds()})
	return r.Cancel, err
}

// Finish records a job's end (done, failed or canceled); the record stays for ttl.
func (s *Jobs) Finish(ctx context.Context, now time.Time, id, state string, result []byte, errText string, ttl time.Duration) error {
	_, err := s.op(ctx, now, struct {
		Op     string `json:"op"`
		ID     string `json:"id"`
		State  string `json:"state"`
		Result string `json:"result"`
		Error  string `json:"error"`
		TTLMS  int64  `json:"ttl_ms"`
	}{"finish", id, state, string(result), errText, ttl.Milliseconds()})
	return err
}

// Cancel asks a running job to stop; it returns the job's state.
func (s *Jobs) Cancel(ctx context.Context, now time.Time, id string) (string, error) {
	r, err := s.op(ctx, now, struct {
		Op string `json:"op"`
		ID string `json:"id"`
	}{"cancel", id})
	return r.State, err
}

// Get reads a job.
func (s *Jobs) Get(ctx context.Context, id string) (Job, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys.jobKey(id)).Result()
	if err != nil {
		return Job{}, err
	}
	if len(h) == 0 {
		return Job{}, &Error{Code: "job_not_found", Detail: id}
	}
	j := Job{ID: id, Kind: h["kind"], State: h["state"], Error: h["error"], CancelAsked: h["cancel"] == "1" && h["state"] == "running"}
	j.Progress, _ = strconv.ParseFloat(h["progress"], 64)
	if ms, err := strconv.ParseInt(h["created_at"], 10, 64); err == nil {
		j.CreatedAt = time.UnixMilli(ms).UTC()
	}
	if ms, err := strconv.ParseInt(h["ended_at"], 10, 64); err == nil {
		t := time.UnixMilli(ms).UTC()
		j.EndedAt = &t
	}
	if r := h["result"]; r != "" {
		j.Result = json.RawMessage(r)
	}
	return j, nil
}
