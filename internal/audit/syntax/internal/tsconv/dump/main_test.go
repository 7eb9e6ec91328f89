package dump

import (
	"context"
	"fmt"
	"os"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/python"
)

func TestDump(t *testing.T) {
	src, _ := os.ReadFile(os.Getenv("F"))
	l := python.GetLanguage()
	if os.Getenv("L") == "js" {
		l = javascript.GetLanguage()
	}
	p := sitter.NewParser()
	p.SetLanguage(l)
	tr, _ := p.ParseCtx(context.Background(), nil, src)
	fmt.Println(tr.RootNode().String())
}
