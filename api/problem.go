package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"switchboard/queues"
	"switchboard/validation"
)

// Problem is an RFC 9457 problem details body; Errors names the invalid fields.
type Problem struct {
	Type   string             `json:"type"`
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Detail string             `json:"detail,omitempty"`
	Errors []validation.Error `json:"errors,omitempty"`
}

func problem(c *gin.Context, status int, detail string, errs ...validation.Error) {
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatus(status)
	enc := json.NewEncoder(c.Writer)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Errors: errs})
}

// fail maps an error from the layers below to a problem response.
func fail(c *gin.Context, err error) {
	var verrs validation.Errors
	var serr *queues.Error
	switch {
	case queues.Unavailable(err):
		_ = c.Error(err)
		unavailable(c, "the store (Redis) is unavailable; retry shortly")
	case errors.As(err, &verrs):
		problem(c, http.StatusUnprocessableEntity, "the request has invalid fields", verrs...)
	case errors.As(err, &serr):
		status := http.StatusConflict
		switch {
		case errors.Is(err, queues.ErrNotFound):
			status = http.StatusNotFound
		case errors.Is(err, queues.ErrForbidden):
			status = http.StatusForbidden
		}
		problem(c, status, describe(serr))
	default:
		_ = c.Error(err)
		problem(c, http.StatusInternalServerError, "internal error; see the service log")
	}
}

// unavailable answers 503 with Retry-After: the client should come back.
func unavailable(c *gin.Context, detail string) {
	c.Header("Retry-After", "1")
	problem(c, http.StatusServiceUnavailable, detail)
}

func describe(e *queues.Error) string {
	switch e.Code {
	case "agent_not_found":
		return fmt.Sprintf("agent %q does not exist", e.Detail)
	case "task_not_found":
		return fmt.Sprintf("task %q does not exist", e.Detail)
	case "offer_not_found":
		return fmt.Sprintf("offer %q does not exist", e.Detail)
	case "offer_closed":
		return fmt.Sprintf("offer %q is no longer open (accepted, rejected, timed out or taken back)", e.Detail)
	case "offer_expired":
		return fmt.Sprintf("offer %q passed its deadline", e.Detail)
	case "task_state":
		return fmt.Sprintf("the task is %s, which does not allow this", e.Detail)
	case "agent_busy":
		return fmt.Sprintf("the agent still holds %s task(s); finish or transfer them first", e.Detail)
	case "agent_unavailable":
		return fmt.Sprintf("agent %q cannot take this task now (presence or capacity)", e.Detail)
	case "customer_not_found":
		return fmt.Sprintf("no customer for %q", e.Detail)
	case "webhook_not_found":
		return fmt.Sprintf("no event webhook named %q", e.Detail)
	case "job_not_found":
		return fmt.Sprintf("job %q does not exist (results are kept a day)", e.Detail)
	case "schedule_not_found":
		return fmt.Sprintf("agent %q has no schedule", e.Detail)
	case "queue_not_found":
		return fmt.Sprintf("queue %q is not configured", e.Detail)
	case "same_agent":
		return fmt.Sprintf("the task is already with agent %q", e.Detail)
	default:
		return e.Detail
	}
}

// bind decodes a JSON body strictly into v. It answers the problem itself and
// returns false when the body is missing, malformed, too large or has unknown
// or mistyped fields. An empty body is accepted when optional is true.
func bind(c *gin.Context, v any, optional bool) bool {
	body, err := io.ReadAll(c.Request.Body)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		problem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxErr.Limit), validation.Error{Field: "body", Reason: "too large"})
		return false
	}
	if field, reason, bad := badText(body); bad {
		problem(c, http.StatusUnprocessableEntity, "the request has invalid text", validation.Error{Field: field, Reason: reason})
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if dec.More() {
			problem(c, http.StatusBadRequest, "the body holds more than one JSON value", validation.Error{Field: "body", Reason: "trailing data after the JSON object"})
			return false
		}
		if _, err := dec.Token(); err != io.EOF {
			problem(c, http.StatusBadRequest, "the body holds more than one JSON value", validation.Error{Field: "body", Reason: "trailing data after the JSON object"})
			return false
		}
		return true
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		if optional {
			return true
		}
		problem(c, http.StatusBadRequest, "a JSON body is required", validation.Error{Field: "body", Reason: "is empty"})
	case errors.As(err, &maxErr):
		problem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxErr.Limit), validation.Error{Field: "body", Reason: "too large"})
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		problem(c, http.StatusBadRequest, "the body is not valid JSON", validation.Error{Field: "body", Reason: err.Error()})
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		problem(c, http.StatusUnprocessableEntity, "the request has invalid fields", validation.Error{Field: field, Reason: "must be " + jsonType(typeErr.Type.String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		problem(c, http.StatusUnprocessableEntity, "the request has invalid fields", validation.Error{Field: name, Reason: "unknown field"})
	default:
		problem(c, http.StatusBadRequest, "the body could not be read", validation.Error{Field: "body", Reason: err.Error()})
	}
	return false
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case strings.HasPrefix(goType, "map"):
		return "an object"
	default:
		return "an object"
	}
}

// respond writes v as JSON, ending with a newline so that terminal output of
// successive calls stays on separate lines.
func respond(c *gin.Context, status int, v any) {
	// Encoded first: a value JSON cannot hold (NaN) is a 500 that says so,
	// never a 200 with an empty body.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		_ = c.Error(err)
		problem(c, http.StatusInternalServerError, "the answer could not be encoded")
		return
	}
	c.Data(status, "application/json; charset=utf-8", buf.Bytes())
}
