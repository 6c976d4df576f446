package workforce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Scheduled agents follow the planners' convention, required agents over
// (1 − shrinkage) rounded up; totals add what the queues need one by one
// (separate queues do not pool agents).
func TestStaffScheduledAndTotals(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	req := StaffingRequest{
		Target:    StaffingTarget{ServiceLevel: 0.8, AnswerWithinSeconds: 20},
		Shrinkage: 0.3,
		Intervals: []StaffingInterval{
			{Queue: "support-en", Start: at, Minutes: 30, Contacts: 100, AHTSeconds: 180}, // 10 Erlangs
			{Queue: "support-es", Start: at, Minutes: 30, Contacts: 70, AHTSeconds: 180},  // 7 Erlangs
		},
	}
	resp, err := Staff(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	en, es := resp.Rows[0].ErlangC, resp.Rows[1].ErlangC
	// 80/20 at 10 Erlangs needs 14 agents: 14 / 0.7 = 20 scheduled (dividing
	// the fractional 13.x would give 19).
	if en.Agents != 14 || en.Scheduled != 20 || en.Fractional <= 13 || en.Fractional >= 14 {
		t.Fatalf("support-en %+v", en)
	}
	if want := en.Fractional / 0.7; en.ScheduledFractional != want {
		t.Fatalf("scheduled fractional %.4f, want %.4f", en.ScheduledFractional, want)
	}
	tot := resp.Totals[0].ErlangC
	if tot.Agents != en.Agents+es.Agents || tot.Scheduled != en.Scheduled+es.Scheduled ||
		tot.Fractional != en.Fractional+es.Fractional {
		t.Fatalf("total %+v of %+v and %+v", tot, en, es)
	}
	// With a maximum occupancy of 0.7: 10 / 0.7 = 14.3, so 15 agents, 22 scheduled.
	req.Target = StaffingTarget{MaxOccupancy: 0.7}
	if resp, err = Staff(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if r := resp.Rows[0].ErlangC; r.Agents != 15 || r.Scheduled != 22 {
		t.Fatalf("occupancy 0.7: %+v", r)
	}
}

func TestStaffNamesBadFields(t *testing.T) {
	_, err := Staff(context.Background(), StaffingRequest{Target: StaffingTarget{ServiceLevel: 0.8}, Shrinkage: 1.2,
		Intervals: []StaffingInterval{{Minutes: 0, Contacts: -1, AHTSeconds: 0}}})
	for _, f := range []string{"target:", "shrinkage:", "intervals[0].queue:", "intervals[0].minutes:", "intervals[0].contacts:", "intervals[0].aht_seconds:", "intervals[0].start:"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("no error on %s: %v", f, err)
		}
	}
}

// A caller that goes away stops the computation: a week of intervals for
// 20 queues, canceled after it started, returns within 100 ms.
func TestStaffStopsWhenCanceled(t *testing.T) {
	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	req := StaffingRequest{Target: StaffingTarget{ServiceLevel: 0.8, AnswerWithinSeconds: 20}, PatienceSeconds: 2400}
	for q := range 20 {
		for i := range 7 * 96 {
			req.Intervals = append(req.Intervals, StaffingInterval{Queue: fmt.Sprintf("q%02d", q),
				Start: at.Add(time.Duration(i) * 15 * time.Minute), Minutes: 15, Contacts: 2000, AHTSeconds: 240})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := Staff(ctx, req); done <- err }()
	time.Sleep(50 * time.Millisecond) // let it get going
	cancel()
	canceled := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled (did it finish first?)", err)
		}
		t.Logf("stopped %s after the cancel", time.Since(canceled))
	case <-time.After(100 * time.Millisecond):
		t.Fatal("still computing 100 ms after the cancel")
	}
}
