// Command summary prints the counts of a paywarden --format json report:
// files scanned, files parsed, bytes and findings, separated by spaces.
//
//	go run ./bench/audit/summary REPORT.json
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: summary REPORT.json")
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	var rep struct {
		Summary struct {
			Files, Parsed, Findings int
			Bytes                   int64
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		log.Fatalf("%s: %v", os.Args[1], err)
	}
	s := rep.Summary
	fmt.Println(s.Files, s.Parsed, s.Bytes, s.Findings)
}
