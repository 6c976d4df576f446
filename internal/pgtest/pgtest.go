// Package pgtest gives each test its own database on a real PostgreSQL
// server: the one PGTEST_URL names, else the local server at
// postgres://postgres@127.0.0.1:5432/postgres (CI installs and starts one).
package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var seq atomic.Int64

// Admin is the URL of the server's maintenance database.
func Admin() string {
	if u := os.Getenv("PGTEST_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Database creates a database for the test, dropped when it ends, and
// returns its URL. It fails the test when no server answers.
func Database(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, Admin())
	if err != nil {
		t.Fatalf("no PostgreSQL at %s (set PGTEST_URL, or install and start postgresql): %v", Admin(), err)
	}
	defer admin.Close(context.Background())
	name := fmt.Sprintf("sbtest_%d_%d", os.Getpid(), seq.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, Admin()); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(ctx)
		}
	})
	base, _, _ := strings.Cut(Admin(), "?")
	i := strings.LastIndex(base, "/")
	return base[:i+1] + name + "?sslmode=disable"
}
