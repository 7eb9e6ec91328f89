// Package sqlite implements paywarden.Store on SQLite (modernc.org/sqlite,
// pure Go), the default, embedded database.
//
// One connection writes and every write transaction begins IMMEDIATE, so
// writers queue in Go instead of failing with SQLITE_BUSY; a separate pool
// of read-only connections serves reads, which in WAL mode never wait behind
// the writer. Commits are synced (synchronous=FULL). Writes are cheap per
// event only in batches: callers that write one event per request should
// group them with internal/groupcommit.
//
// Times are stored as INTEGER microseconds since the Unix epoch in UTC, and
// NULL for a zero time.Time, so they round-trip exactly as PostgreSQL's
// timestamptz does.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/derrors"
	"github.com/paywarden/paywarden/internal/migration"
	"github.com/paywarden/paywarden/internal/rowmap"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// busyTimeout is how long a connection waits for another process's lock
// (the CLI writing while serve runs) before it fails with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// DB is a paywarden.Store on one SQLite database file.
type DB struct {
	write  *sql.DB // exactly one connection
	read   *sql.DB // read-only connections
	logger *slog.Logger
	now    func() time.Time
}

var _ paywarden.Store = (*DB)(nil)

// Open opens (creating if needed) the SQLite database at path. It does not
// migrate: call Migrate, or check PendingMigrations.
func Open(ctx context.Context, path string, logger *slog.Logger) (_ *DB, err error) {
	defer derrors.Wrap(&err, "sqlite.Open(%q)", path)
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		// A separate read pool needs a file that several connections share.
		return nil, paywarden.Errorf(paywarden.EINVALID, "the SQLite database must be a file path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if err := createPrivate(abs); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db := &DB{logger: logger, now: time.Now}

	ms := strconv.FormatInt(busyTimeout.Milliseconds(), 10)
	db.write, err = sql.Open("sqlite", dsn(abs, url.Values{
		"_txlock":       {"immediate"},
		"_busy_timeout": {ms},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_foreign_keys": {"1"},
	}))
	if err != nil {
		return nil, err
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)
	// The writer opens first: it creates the file and switches it to WAL,
	// which read-only connections cannot do.
	if err := db.write.PingContext(ctx); err != nil {
		db.write.Close()
		return nil, err
	}

	db.read, err = sql.Open("sqlite", dsn(abs, url.Values{
		"mode":          {"ro"},
		"_busy_timeout": {ms},
		"_foreign_keys": {"1"},
		"_query_only":   {"1"},
	}))
	if err != nil {
		db.write.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.read.SetMaxOpenConns(n)
	db.read.SetMaxIdleConns(n)
	if err := db.read.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// createPrivate creates the database file readable by its owner only, and
// its directory (0700) when missing, before SQLite opens it: the file holds
// token hashes, customer data and stored API responses. SQLite creates the
// -wal and -shm files with the database file's mode. An existing file is
// left as it is (CheckPrivate reports on it).
func createPrivate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	} else if err != nil {
		return err
	}
	return f.Close()
}

// CheckPrivate returns an error, naming the file, when the database file
// at path may be read by its group or by others. Production refuses to
// serve such a file.
func CheckPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("the database file %s is readable by others (mode %04o): it holds token hashes and customer data; chmod 600 it", path, fi.Mode().Perm())
	}
	return nil
}

func dsn(path string, q url.Values) string {
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	// SQLite expects file:/abs/path or file:///abs/path.
	return u.String()
}

// SetNow replaces the clock the store reads the current time from (for
// claims, leases, replays, idempotency locks and default timestamps). Tests
// call it before using the store; it must not be called concurrently with
// other methods.
func (db *DB) SetNow(now func() time.Time) { db.now = now }

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that both the writer and the readers answer.
func (db *DB) Ping(ctx context.Context) (err error) {
	defer derrors.Wrap(&err, "sqlite.Ping")
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	return db.read.PingContext(ctx)
}

// migration is one embedded migration file.
// migrations returns the embedded migrations in order.
func migrations() ([]migration.Migration, error) { return migration.Load(migrationFS, "migrations") }

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL
) STRICT`

// Migrate applies pending migrations, each in its own IMMEDIATE
// transaction, and returns how many it applied. Another process migrating
// at the same time waits for the write lock and then finds the work done.
func (db *DB) Migrate(ctx context.Context) (n int, err error) {
	defer derrors.Wrap(&err, "sqlite.Migrate")
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	if _, err := db.write.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, err
	}
	return migration.Apply(ctx, db.logger, ms, db.applyMigration)
}

func (db *DB) applyMigration(ctx context.Context, m migration.Migration) (applied bool, err error) {
	defer derrors.Wrap(&err, "migration %s", m.Name)
	tx, err := db.begin(ctx, synced)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&done); err != nil {
		return false, err
	}
	if done > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, micros(db.now())); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// PendingMigrations implements paywarden.Store.
func (db *DB) PendingMigrations(ctx context.Context) (n int, err error) {
	defer derrors.Wrap(&err, "sqlite.PendingMigrations")
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	var exists int
	if err := db.read.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return 0, err
	}
	if exists == 0 {
		return len(ms), nil
	}
	rows, err := db.read.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var applied []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
		applied = append(applied, v)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	return migration.Pending(ms, applied), nil
}

// micros is how a time is stored: microseconds since the Unix epoch, UTC.
func micros(t time.Time) int64 { return t.UnixMicro() }

// nullMicros stores a zero time as NULL.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// microsDest scans a stored time into *t; NULL is the zero time.
type microsDest struct{ t *time.Time }

func (d microsDest) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d.t = time.Time{}
	case int64:
		*d.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("a time column holds %T, want INTEGER microseconds", v)
	}
	return nil
}

// times is how this store writes and reads times, for package rowmap.
var times = rowmap.Times{
	Value: func(t time.Time) any { return micros(t) },
	Null:  nullMicros,
	Dest:  func(t *time.Time) any { return microsDest{t} },
}

// param is how a query's placeholders are written, for rowmap.Where.
func param(int) string { return "?" }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanRow scans one row into a new T through the destinations dest gives.
func scanRow[T any](s scanner, dest func(*T, rowmap.Times) []any) (*T, error) {
	var v T
	if err := s.Scan(dest(&v, times)...); err != nil {
		return nil, err
	}
	return &v, nil
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs query and scans every row it returns with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		all = append(all, v)
	}
	return all, rows.Err()
}

// noRows turns sql.ErrNoRows into a paywarden error with code and the
// formatted message, and returns any other err as it is.
func noRows(err error, code, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return paywarden.Errorf(code, format, args...)
	}
	return err
}
