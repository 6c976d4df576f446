package surveys

import (
	"fmt"
	"testing"
)

func TestParseScore(t *testing.T) {
	for text, want := range map[string]int{"5": 5, " 4 ": 4, "4/5": 4, "9 / 10": 9, "10": 10, "0": 0, "5 stars": 5,
		"3 estrellas": 3, "5.": 5, "5!": 5} {
		if n, ok := ParseScore(text); !ok || n != want {
			t.Errorf("%q: %d %v, want %d", text, n, ok, want)
		}
	}
	for _, text := range []string{"", "hello", "5 es mi pedido", "mi pedido 5", "11", "123", "-1", "5/7", "1,5"} {
		if n, ok := ParseScore(text); ok {
			t.Errorf("%q read as score %d", text, n)
		}
	}
}

func TestSampled(t *testing.T) {
	in := 0
	for i := range 10000 {
		if Sampled(fmt.Sprintf("tsk_%d", i), 0.3) {
			in++
		}
	}
	if in < 2700 || in > 3300 {
		t.Fatalf("%d of 10000 sampled at 0.3", in)
	}
	if Sampled("x", 0.3) != Sampled("x", 0.3) || !Sampled("x", 1) || Sampled("x", 0) {
		t.Fatal("sampling is not a function of the task")
	}
}

func TestBucket(t *testing.T) {
	for _, c := range []struct {
		kind  string
		score int
		want  string
	}{{"csat", 5, "satisfied"}, {"csat", 4, "satisfied"}, {"csat", 3, "neutral"}, {"csat", 1, "dissatisfied"},
		{"nps", 10, "promoter"}, {"nps", 9, "promoter"}, {"nps", 8, "passive"}, {"nps", 7, "passive"}, {"nps", 6, "detractor"}, {"nps", 0, "detractor"}} {
		if got := Bucket(c.kind, c.score); got != c.want {
			t.Errorf("%s %d: %s, want %s", c.kind, c.score, got, c.want)
		}
	}
}
