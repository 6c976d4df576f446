package workforce

import (
	"strings"
	"testing"
	"time"
)

func TestStaffAggregatesBeforeRounding(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	req := StaffingRequest{
		Target:    StaffingTarget{ServiceLevel: 0.8, AnswerWithinSeconds: 20},
		Shrinkage: 0.3,
		Intervals: []StaffingInterval{
			{Queue: "support-en", Start: at, Minutes: 30, Contacts: 100, AHTSeconds: 180},
			{Queue: "support-es", Start: at, Minutes: 30, Contacts: 100, AHTSeconds: 180},
		},
	}
	resp, err := Staff(req)
	if err != nil {
		t.Fatal(err)
	}
	row := resp.Rows[0].ErlangC
	if row.Agents != 14 || row.Fractional <= 13 || row.Fractional >= 14 {
		t.Fatalf("row %+v", row)
	}
	tot := resp.Totals[0].ErlangC
	// Two queues at 13.0x each: 27 agents together, not 14 + 14 = 28.
	if tot.Agents != 27 || tot.Fractional != 2*row.Fractional {
		t.Fatalf("total %+v", tot)
	}
	if want := 2 * row.Fractional / 0.7; tot.ScheduledFractional != want || tot.Scheduled != 38 {
		t.Fatalf("scheduled %+v, want %.4f", tot, want)
	}
}

func TestStaffNamesBadFields(t *testing.T) {
	_, err := Staff(StaffingRequest{Target: StaffingTarget{ServiceLevel: 0.8}, Shrinkage: 1.2,
		Intervals: []StaffingInterval{{Minutes: 0, Contacts: -1, AHTSeconds: 0}}})
	for _, f := range []string{"target:", "shrinkage:", "intervals[0].queue:", "intervals[0].minutes:", "intervals[0].contacts:", "intervals[0].aht_seconds:", "intervals[0].start:"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("no error on %s: %v", f, err)
		}
	}
}
