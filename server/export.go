package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/export"
	"github.com/lianqi/lianqi/graph"
	"github.com/lianqi/lianqi/graph/scalar"
	"github.com/lianqi/lianqi/service"
)

// exports names the files GET /export/{file} serves: the ASCII name (the
// filename fallback) and the Chinese one (RFC 5987 filename*).
var exports = map[string]string{"problems": "问题台账", "ranking": "服务成绩排名"}

// exportHandler serves the leaders' spreadsheets, /export/problems.csv and
// the like. The caller is the Bearer token's, as on /graphql; the rows are
// what the `problems` and `officialRanking` queries give that caller. Each
// download takes a slot of the expensive-work gate it shares with listings.
// A refusal before the file starts is JSON with extensions.code; a failure
// midway breaks the connection, so a client never takes a truncated file for
// the whole ledger.
func exportHandler(svc *service.Service, gate *graph.Gate, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base, ext, _ := strings.Cut(r.PathValue("file"), ".")
		zh, ok := exports[base]
		if !ok {
			writeDomainError(w, log, r, &domain.Error{Code: domain.ENOTFOUND, Message: fmt.Sprintf("no export named %q: use problems or ranking", r.PathValue("file"))})
			return
		}
		format, err := export.ParseFormat(ext)
		if err != nil {
			writeDomainError(w, log, r, err)
			return
		}
		ctx := service.WithScopeMemo(r.Context())
		key := "ip:" + service.ClientIP(ctx)
		if p := domain.PrincipalFrom(ctx); p != nil {
			key = "user:" + p.UserID
		}
		done, err := gate.Enter(ctx, key)
		if err != nil {
			writeDomainError(w, log, r, err)
			return
		}
		defer done()
		out := &countingWriter{w: w}
		open := func(sheet string, titles []string) (export.Sheet, error) {
			day := time.Now().In(time.FixedZone("CST", 8*60*60)).Format("20060102")
			h := w.Header()
			h.Set("Content-Type", format.ContentType())
			h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"; filename*=UTF-8''%s`,
				base, day, format, url.PathEscape(zh+"-"+day+"."+string(format))))
			h.Set("Cache-Control", "no-store")
			return export.NewSheet(format, out, sheet, titles)
		}
		q := r.URL.Query()
		if base == "problems" {
			var f domain.ProblemFilter
			var sort domain.ProblemSort
			if f, sort, err = problemQuery(q); err == nil {
				err = export.Problems(ctx, svc, f, sort, open)
			}
		} else {
			var period domain.Period
			var opts service.RankingOptions
			if period, opts, err = rankingQuery(q); err == nil {
				err = export.Ranking(ctx, svc, period, opts, open)
			}
		}
		if err == nil {
			return
		}
		if out.n == 0 {
			w.Header().Del("Content-Disposition")
			writeDomainError(w, log, r, err)
			return
		}
		log.ErrorContext(ctx, "export failed midway", "file", r.PathValue("file"), "err", err)
		panic(http.ErrAbortHandler)
	})
}

// problemQuery reads the `problems` query's filter and order from the URL:
// status, level and category may repeat or list values with commas.
func problemQuery(q url.Values) (domain.ProblemFilter, domain.ProblemSort, error) {
	var f domain.ProblemFilter
	var err error
	if f.Statuses, err = enumList[domain.ProblemStatus](q, "status"); err != nil {
		return f, "", err
	}
	if f.Levels, err = enumList[domain.Level](q, "level"); err != nil {
		return f, "", err
	}
	if f.Categories, err = enumList[domain.Category](q, "category"); err != nil {
		return f, "", err
	}
	f.EnterpriseID = q.Get("enterpriseId")
	f.Search = q.Get("search")
	if v := q.Get("overdue"); v != "" {
		b := v == "true"
		if !b && v != "false" {
			return f, "", domain.Invalid("overdue", "overdue must be true or false")
		}
		f.Overdue = &b
	}
	var sort domain.ProblemSort
	if v := q.Get("orderBy"); v != "" {
		if err := sort.UnmarshalGQL(v); err != nil {
			return f, "", withField(err, "orderBy")
		}
	}
	return f, sort, nil
}

// enumList reads a repeated or comma-separated enum parameter.
func enumList[T ~string, PT interface {
	*T
	UnmarshalGQL(any) error
}](q url.Values, name string) ([]T, error) {
	var out []T
	for _, v := range q[name] {
		for _, s := range strings.Split(v, ",") {
			var t T
			if err := PT(&t).UnmarshalGQL(strings.TrimSpace(s)); err != nil {
				return nil, withField(err, name)
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// rankingQuery reads officialRanking's arguments: from, to and asOf
// (RFC 3339 or a date), includeRetired (true or false).
func rankingQuery(q url.Values) (domain.Period, service.RankingOptions, error) {
	var p domain.Period
	var o service.RankingOptions
	for name, dst := range map[string]**time.Time{"from": &p.From, "to": &p.To, "asOf": &o.AsOf} {
		if v := q.Get(name); v != "" {
			t, err := scalar.UnmarshalTime(v)
			if err != nil {
				return p, o, withField(err, name)
			}
			*dst = &t
		}
	}
	if v := q.Get("includeRetired"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return p, o, domain.Invalid("includeRetired", "includeRetired must be true or false, not %q", v)
		}
		o.IncludeRetired = b
	}
	return p, o, nil
}

func withField(err error, field string) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Field == "" {
		c := *de
		c.Field = field
		return &c
	}
	return err
}

// exportStatus is the HTTP status for an error code of a plain HTTP endpoint.
var exportStatus = map[string]int{
	domain.EINVALID: http.StatusBadRequest, domain.EUNAUTHENTICATED: http.StatusUnauthorized,
	domain.EFORBIDDEN: http.StatusForbidden, domain.ENOTFOUND: http.StatusNotFound,
	domain.ECONFLICT: http.StatusConflict, domain.ERATELIMITED: http.StatusTooManyRequests,
}

// writeDomainError answers with the GraphQL error shape and code, so that a
// client handles /export refusals as it handles /graphql ones. Internal
// errors are logged here once and masked.
func writeDomainError(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client is gone: nobody to answer, nothing to log
	}
	code := domain.ErrorCode(err)
	msg := domain.ErrorMessage(err)
	status, ok := exportStatus[code]
	if !ok {
		log.ErrorContext(r.Context(), "internal error", "path", r.URL.Path, "err", err)
		code, msg, status = domain.EINTERNAL, "internal error", http.StatusInternalServerError
	}
	ext := map[string]any{"code": graph.Codes[code]}
	if f := domain.ErrorField(err); f != "" {
		ext["field"] = f
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "3")
	}
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": msg, "extensions": ext}}})
}

// countingWriter tells whether any of the file reached the client.
type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
