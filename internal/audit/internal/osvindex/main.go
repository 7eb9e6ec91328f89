// Command osvindex builds the advisory snapshot that the audit package
// embeds: it reads OSV records from folders (the Go vulndb's JSON and the
// PyPA database's YAML) and writes them, reduced, as gzipped JSON.
//
//	go run ./internal/osvindex -o data/osv-index.json.gz DIR...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/paywarden/paywarden/internal/audit"
)

func main() {
	out := flag.String("o", "osv-index.json.gz", "output `file`")
	asOf := flag.String("as-of", time.Now().UTC().Format("2006-01-02"), "`date` of the snapshot, for the report")
	flag.Parse()
	var all []*audit.Advisory
	for _, dir := range flag.Args() {
		advs, err := audit.ReadOSVDir(dir)
		if err != nil {
			log.Fatal(err)
		}
		all = append(all, advs...)
	}
	var b bytes.Buffer
	if err := audit.WriteOSVIndex(&b, *asOf, all); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d advisories, %d bytes\n", len(all), b.Len())
}
