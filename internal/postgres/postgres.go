// Package postgres implements paywarden.Store on PostgreSQL with pgx, for
// running several paywarden replicas against one database (PRODUCT.md §7).
//
// Everything replicas share lives in the database: events are claimed with
// FOR UPDATE SKIP LOCKED, so each goes to one replica at a time; Migrate
// holds an advisory lock; idempotency records are rows. Transactions run
// at READ COMMITTED and are retried on serialization failures and
// deadlocks.
//
// Times are timestamptz, written truncated to the microsecond and read back
// in UTC, NULL for a zero time.Time, so they round-trip exactly as SQLite's
// integer microseconds do.
package postgres

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/migration"
	"github.com/paywarden/paywarden/internal/rowmap"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is a paywarden.Store on a PostgreSQL database.
type DB struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	now    func() time.Time
}

var _ paywarden.Store = (*DB)(nil)

// Open connects to the PostgreSQL database at url (postgres://...). Run-time
// parameters in the URL apply to every connection; in particular
// ?search_path=NAME puts the tables in schema NAME. Open does not migrate:
// call Migrate, or check PendingMigrations.
func Open(ctx context.Context, url string, logger *slog.Logger) (_ *DB, err error) {
	// The URL may hold a password: never put it in an error.
	defer derrors.Wrap(&err, "postgres.Open")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, paywarden.Errorf(paywarden.EINVALID, "invalid PostgreSQL URL")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{pool: pool, logger: logger, now: time.Now}, nil
}

// SetNow replaces the clock the store reads the current time from (for
// claims, leases, replays, idempotency locks and default timestamps). Tests
// call it before using the store; it must not be called concurrently with
// other methods. Replicas compare their own clocks with leases written by
// others, so their clocks should agree to well within a lease.
func (db *DB) SetNow(now func() time.Time) { db.now = now }

// Close closes every connection.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) (err error) {
	defer derrors.Wrap(&err, "postgres.Ping")
	return db.pool.Ping(ctx)
}

// maxRetries is how many times a transaction is retried after a
// serialization failure or a deadlock.
const maxRetries = 5

// transact runs fn in a transaction and commits it, retrying the whole
// transaction when PostgreSQL aborts it for a serialization failure or a
// deadlock (as pkgsite's database.Transact does). fn must be safe to run
// again.
func (db *DB) transact(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.transactOnce(ctx, fn)
		if !retryable(err) || attempt == maxRetries || ctx.Err() != nil {
			return err
		}
		db.logger.DebugContext(ctx, "retrying transaction", "attempt", attempt+1, "err", err)
	}
}

func (db *DB) transactOnce(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// execCount runs one write statement in its own transaction and returns
// how many rows it changed.
func (db *DB) execCount(ctx context.Context, query string, args ...any) (n int, err error) {
	err = db.transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, query, args...)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

// migration is one embedded migration file.
// migrations returns the embedded migrations in order.
func migrations() ([]migration.Migration, error) { return migration.Load(migrationFS, "migrations") }

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL
)`

// migrateLock is the advisory lock Migrate holds: one per schema, so that
// databases in different schemas migrate independently.
const migrateLock = `hashtext('paywarden.migrate.' || current_schema())`

// Migrate applies pending migrations, each in its own transaction, and
// returns how many it applied. It holds an advisory lock throughout, so
// replicas that start together migrate one after the other, the later
// ones finding nothing to do.
func (db *DB) Migrate(ctx context.Context) (n int, err error) {
	defer derrors.Wrap(&err, "postgres.Migrate")
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+migrateLock+`)`); err != nil {
		return 0, err
	}
	defer func() {
		// The session lock must go even if ctx has ended; if it cannot,
		// the connection is closed, which releases it.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+migrateLock+`)`); uerr != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		return 0, err
	}
	return migration.Apply(ctx, db.logger, ms, func(ctx context.Context, m migration.Migration) (bool, error) {
		return applyMigration(ctx, conn.Conn(), m, db.now())
	})
}

func applyMigration(ctx context.Context, conn *pgx.Conn, m migration.Migration, now time.Time) (applied bool, err error) {
	defer derrors.Wrap(&err, "migration %s", m.Name)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	var done bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done); err != nil {
		return false, err
	}
	if done {
		return false, nil
	}
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, ts(now)); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// PendingMigrations implements paywarden.Store.
func (db *DB) PendingMigrations(ctx context.Context) (n int, err error) {
	defer derrors.Wrap(&err, "postgres.PendingMigrations")
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return len(ms), nil
	}
	rows, err := db.pool.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return 0, err
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return 0, err
	}
	return migration.Pending(ms, applied), nil
}

// ts is how a time is written: UTC, truncated to the microsecond, as SQLite
// stores it (PostgreSQL would round).
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTS writes a zero time as NULL.
func nullTS(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: ts(t), Valid: true}
}

// tsDest scans a stored time into *t, in UTC; NULL is the zero time.
type tsDest struct{ t *time.Time }

func (d tsDest) ScanTimestamptz(v pgtype.Timestamptz) error {
	*d.t = time.Time{}
	if v.Valid {
		*d.t = v.Time.UTC()
	}
	return nil
}

// times is how this store writes and reads times, for package rowmap.
var times = rowmap.Times{
	Value: func(t time.Time) any { return ts(t) },
	Null:  func(t time.Time) any { return nullTS(t) },
	Dest:  func(t *time.Time) any { return tsDest{t} },
}

// param is how a query's placeholders are written, for rowmap.Where.
func param(n int) string { return "$" + strconv.Itoa(n) }

// scanRow scans one row into a new T through the destinations dest gives.
func scanRow[T any](row pgx.Row, dest func(*T, rowmap.Times) []any) (*T, error) {
	var v T
	if err := row.Scan(dest(&v, times)...); err != nil {
		return nil, err
	}
	return &v, nil
}

// querier is a *pgxpool.Pool or a pgx.Tx.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryAll runs query and scans every row it returns with scan. Unlike
// pgx.CollectRows it returns nil, not an empty slice, for no rows, as the
// SQLite store does.
func queryAll[T any](ctx context.Context, q querier, scan func(pgx.Row) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.AppendRows[*T, []*T](nil, rows, func(row pgx.CollectableRow) (*T, error) { return scan(row) })
}

// noRows turns pgx.ErrNoRows into a paywarden error with code and the
// formatted message, and returns any other err as it is.
func noRows(err error, code, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return paywarden.Errorf(code, format, args...)
	}
	return err
}
