// Command loadgen sends unique, signed Stripe webhook events of a realistic
// size to a webhook receiver on this machine and reports acknowledged
// events per second and acknowledgement latency. Its load is bounded in
// count and in time, and it refuses any target that is not loopback.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run() error {
	target := flag.String("url", "https://127.0.0.1:8443/webhooks/stripe", "webhook URL (loopback only)")
	secretFile := flag.String("secret-file", "", "file holding the webhook signing secret")
	n := flag.Int("n", 20000, "events to send at most")
	c := flag.Int("c", 16, "concurrent senders")
	d := flag.Duration("d", 30*time.Second, "time limit")
	apiVersion := flag.String("api-version", "2026-03-25.dahlia", "api_version of the events")
	label := flag.String("label", "", "label printed with the result")
	flag.Parse()

	u, err := url.Parse(*target)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("target %s is not a loopback address", u.Host)
	}
	raw, err := os.ReadFile(*secretFile)
	if err != nil {
		return fmt.Errorf("reading the secret file: %w", err)
	}
	secret := []byte(strings.TrimSpace(string(raw)))

	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // loopback, self-signed
		MaxIdleConnsPerHost: *c,
		MaxConnsPerHost:     *c,
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), *d)
	defer cancel()

	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var next atomic.Int64
	var failed atomic.Int64
	lat := make([][]time.Duration, *c)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *c {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				body := event(run, i, *apiVersion)
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				mac := hmac.New(sha256.New, secret)
				mac.Write([]byte(ts + "."))
				mac.Write(body)
				req, _ := http.NewRequestWithContext(ctx, "POST", *target, strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)))
				t := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return fmt.Errorf("no event was acknowledged (%d failed)", failed.Load())
	}
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	fmt.Printf("%-28s c=%-3d acked=%-6d failed=%-4d %8.0f events/s  p50=%-8s p99=%-8s max=%s\n",
		*label, *c, len(all), failed.Load(), float64(len(all))/elapsed.Seconds(),
		pct(.50).Round(10*time.Microsecond), pct(.99).Round(10*time.Microsecond), all[len(all)-1].Round(10*time.Microsecond))
	return nil
}

// event returns a unique payment_intent.succeeded event of about 2.5 KB,
// shaped like Stripe's.
func event(run string, i int64, apiVersion string) []byte {
	id := fmt.Sprintf("%s%08d", run, i)
	now := time.Now().Unix()
	return fmt.Appendf(nil, `{"id":"evt_%[1]s","object":"event","api_version":%[3]q,"created":%[2]d,`+
		`"data":{"object":{"id":"pi_%[1]s","object":"payment_intent","amount":2000,"amount_capturable":0,`+
		`"amount_details":{"tip":{}},"amount_received":2000,"application":null,"application_fee_amount":null,`+
		`"automatic_payment_methods":{"allow_redirects":"always","enabled":true},"canceled_at":null,`+
		`"cancellation_reason":null,"capture_method":"automatic_async","client_secret":null,`+
		`"confirmation_method":"automatic","created":%[2]d,"currency":"usd","customer":"cus_%[1]s",`+
		`"description":"Order %[1]s from the web shop","invoice":null,"last_payment_error":null,`+
		`"latest_charge":"ch_%[1]s","livemode":false,"metadata":{"order_id":"%[1]s","cart":"web","region":"eu-west"},`+
		`"next_action":null,"on_behalf_of":null,"payment_method":"pm_%[1]s",`+
		`"payment_method_configuration_details":{"id":"pmc_1PqRsTuVwXyZ","parent":null},`+
		`"payment_method_options":{"card":{"installments":null,"mandate_options":null,"network":null,`+
		`"request_three_d_secure":"automatic"},"link":{"persistent_token":null}},`+
		`"payment_method_types":["card","link"],"processing":null,"receipt_email":"customer-%[1]s@example.com",`+
		`"review":null,"setup_future_usage":null,"shipping":{"address":{"city":"Dublin","country":"IE",`+
		`"line1":"1 Main Street","line2":null,"postal_code":"D01 F5P2","state":null},"carrier":null,`+
		`"name":"Jenny Rosen","phone":null,"tracking_number":null},"source":null,"statement_descriptor":null,`+
		`"statement_descriptor_suffix":null,"status":"succeeded","transfer_data":null,"transfer_group":null}},`+
		`"livemode":false,"pending_webhooks":2,"request":{"id":"req_%[1]s","idempotency_key":"%[1]s-key"},`+
		`"type":"payment_intent.succeeded","padding":"%[4]s"}`, id, now, apiVersion, strings.Repeat("x", 600))
}
