package eventproc

import "encoding/json"

var jsonUnmarshal = json.Unmarshal
