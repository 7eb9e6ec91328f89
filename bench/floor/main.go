// Command floor is the least a correct Stripe webhook receiver does, to
// measure paywarden's receiver against: it reads the body, verifies the
// signature (internal/stripesig, as paywarden does), decodes the envelope
// (id, type, created, livemode, api_version, data.object's id and type),
// and stores the event with a group commit on SQLite in WAL mode with
// synchronous=FULL, answering 200 only once the commit is synced — the same
// durability as paywarden. Nothing else: no metrics, no logs, no workers,
// no limits beyond a body size.
//
//	go run ./bench/floor -addr 127.0.0.1:9000 -db /tmp/floor.db -secret-file F [-tls]
//
// -tls serves HTTPS with a self-signed certificate made at start, as
// paywarden does in development.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
	"github.com/paywarden/paywarden/internal/stripesig"
	_ "modernc.org/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	dbPath := flag.String("db", "floor.db", "SQLite file")
	secretFile := flag.String("secret-file", "", "file holding the webhook signing secret")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate")
	flag.Parse()
	if err := run(*addr, *dbPath, *secretFile, *useTLS); err != nil {
		log.Fatal(err)
	}
}

func run(addr, dbPath, secretFile string, useTLS bool) error {
	raw, err := os.ReadFile(secretFile)
	if err != nil {
		return fmt.Errorf("reading the secret file: %w", err)
	}
	secrets := []paywarden.Secret{paywarden.NewSecret(strings.TrimSpace(string(raw)))}
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1) // one writer, as SQLite wants
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, type TEXT NOT NULL,
		created INTEGER NOT NULL, livemode INTEGER NOT NULL, api_version TEXT NOT NULL, object_id TEXT NOT NULL,
		object_type TEXT NOT NULL, payload BLOB NOT NULL, received_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	queue := make(chan *pending, 4096)
	go commit(db, queue)

	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 256<<10))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		hd, err := stripesig.ParseHeader(r.Header.Get("Stripe-Signature"))
		now := time.Now()
		if err != nil || stripesig.Verify(body, hd, secrets, now, 5*time.Minute) != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var env envelope
		if json.Unmarshal(body, &env) != nil || env.ID == "" || env.Type == "" || env.Data.Object.Object == "" {
			http.Error(w, "bad envelope", http.StatusBadRequest)
			return
		}
		p := &pending{env: env, body: body, at: now.UnixMicro(), done: make(chan error, 1)}
		select {
		case queue <- p:
		default:
			http.Error(w, "queue full", http.StatusServiceUnavailable)
			return
		}
		if err := <-p.done; err != nil {
			http.Error(w, "store error", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"received":true}`)
	})
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if useTLS {
		cert, err := selfSigned()
		if err != nil {
			return err
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		return srv.ListenAndServeTLS("", "")
	}
	return srv.ListenAndServe()
}

type envelope struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Created    int64  `json:"created"`
	Livemode   bool   `json:"livemode"`
	APIVersion string `json:"api_version"`
	Data       struct {
		Object struct {
			ID     string `json:"id"`
			Object string `json:"object"`
		} `json:"object"`
	} `json:"data"`
}

type pending struct {
	env  envelope
	body []byte
	at   int64
	done chan error
}

// commit writes whatever is queued in one transaction, up to 256 events,
// and answers each request after the synced commit.
func commit(db *sql.DB, queue chan *pending) {
	for p := range queue {
		batch := []*pending{p}
	more:
		for len(batch) < 256 {
			select {
			case p := <-queue:
				batch = append(batch, p)
			default:
				break more
			}
		}
		err := insert(db, batch)
		for _, p := range batch {
			p.done <- err
		}
	}
}

func insert(db *sql.DB, batch []*pending) error {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, p := range batch {
		e := p.env
		if _, err := stmt.ExecContext(ctx, e.ID, e.Type, e.Created, e.Livemode, e.APIVersion,
			e.Data.Object.ID, e.Data.Object.Object, p.body, p.at); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// selfSigned makes a certificate for 127.0.0.1, as paywarden's development
// mode does.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: nil,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
