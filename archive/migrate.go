package archive

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock replicas starting together take, so
// that one of them applies the migrations.
const migrationLock = 7_406_151_613

// Migrate applies the migrations the database has not had yet, each in its
// own transaction, in the order of their numbers. It returns the versions
// it applied.
func (a *Archive) Migrate(ctx context.Context) ([]int, error) {
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return nil, fmt.Errorf("archive: lock for migrations: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) }()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS switchboard_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT version FROM switchboard_migrations")
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	applied := []int{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "migrations/"), ".sql")
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return applied, fmt.Errorf("archive: migration %s: the name must start with its number", f)
		}
		if slices.Contains(done, v) {
			continue
		}
		sql, err := migrations.ReadFile(f)
		if err != nil {
			return applied, err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO switchboard_migrations (version, name) VALUES ($1, $2)", v, name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("archive: migration %s: %w", name, err)
		}
		applied = append(applied, v)
	}
	return applied, nil
}
