package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/paywarden/paywarden"
)

// page is what every template gets: the layout's fields and the page's
// own data.
type page struct {
	Title  string
	Nav    string // the active tab
	CSRF   string // the session's (or the login form's) CSRF token
	User   string // the token name of the session
	Error  string
	Notice string
	Data   any
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"money": money,
	"upper": strings.ToUpper,
}

// money formats minor units in a currency's major unit. Zero-decimal
// currencies (JPY, KRW, ...) have no minor unit.
func money(amount int64, currency string) string {
	if zeroDecimal[strings.ToLower(currency)] {
		return fmt.Sprintf("%d %s", amount, strings.ToUpper(currency))
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, amount/100, amount%100, strings.ToUpper(currency))
}

// zeroDecimal are Stripe's zero-decimal currencies.
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
	"pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
}

// parsePages parses each page template with the layout.
func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	for _, name := range []string{"login", "overview", "events", "event", "posture", "revenue", "error"} {
		pages[name] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/chart.html", "templates/"+name+".html"))
	}
	return pages
}

// render writes a page; a template error answers 500 instead of half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := u.pages[name].Execute(&buf, p); err != nil {
		u.o.Logger.ErrorContext(r.Context(), "rendering a dashboard page", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// statusOf maps error codes to HTTP statuses.
var statusOf = map[string]int{
	paywarden.EINVALID:      http.StatusBadRequest,
	paywarden.EUNAUTHORIZED: http.StatusUnauthorized,
	paywarden.EFORBIDDEN:    http.StatusForbidden,
	paywarden.ENOTFOUND:     http.StatusNotFound,
	paywarden.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// fail answers an error page with the error's safe message; the cause
// goes to the log.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := paywarden.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
		u.o.Logger.ErrorContext(r.Context(), "dashboard request failed", "path", r.URL.Path, "err", err)
	}
	u.render(w, r, status, "error", &page{Title: http.StatusText(status), Error: paywarden.ErrorMessage(err)})
}

// sessionPage starts the page of a signed-in request.
func sessionPage(s *paywarden.Session, nav, title string, data any) *page {
	return &page{Title: title, Nav: nav, CSRF: s.CSRF, User: s.TokenName, Data: data}
}
