package audit

type webhookFacts struct{}

func checkWebhooks(f *fileCtx, src *source) {}
func checkErrors(f *fileCtx, src *source)   {}
func finishWebhooks(fs []*fileCtx)          {}
