// Package export writes the leaders' spreadsheets (问题台账, 服务成绩排名) as
// CSV or XLSX. Rows come from the service with the caller's scope, exactly as
// the `problems` and `officialRanking` queries give them, batch by batch, so a
// whole county's ledger never sits in memory at once. Column titles are
// Chinese: the files go upward to county offices that read them in Excel/WPS.
package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/lianqi/lianqi/domain"
)

// Format is a file type an export can be written as.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat reads the file extension of an export's name.
func ParseFormat(ext string) (Format, error) {
	switch f := Format(ext); f {
	case CSV, XLSX:
		return f, nil
	}
	return "", domain.Invalid("format", "unknown export format %q: use csv or xlsx", ext)
}

// ContentType is the MIME type of the format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Sheet receives the rows of one table: the titles first, then the rows.
type Sheet interface {
	Row(values []any) error
	// Flush sends what is buffered so far (CSV goes out as it is written).
	Flush() error
	// Close finishes the file. An XLSX file is a zip whose parts must be
	// complete before it is written, so it reaches w only here.
	Close() error
}

// NewSheet starts a table in format f on w, titled name (the XLSX sheet's name).
func NewSheet(f Format, w io.Writer, name string, titles []string) (Sheet, error) {
	var s Sheet
	var err error
	if f == XLSX {
		s, err = newXLSX(w, name, len(titles))
	} else {
		s, err = newCSV(w)
	}
	if err != nil {
		return nil, err
	}
	row := make([]any, len(titles))
	for i, t := range titles {
		row[i] = t
	}
	if err := s.Row(row); err != nil {
		return nil, err
	}
	return s, nil
}

// csvSheet writes RFC 4180 CSV behind a UTF-8 byte order mark: without it
// Excel reads the file in the system's legacy code page (GBK on Chinese
// Windows) and every Chinese title and name comes out garbled.
type csvSheet struct {
	buf *bufio.Writer
	w   *csv.Writer
	row []string
}

func newCSV(w io.Writer) (*csvSheet, error) {
	buf := bufio.NewWriterSize(w, 32<<10)
	if _, err := buf.WriteString("\uFEFF"); err != nil {
		return nil, err
	}
	// CRLF, as Excel writes it and RFC 4180 says.
	cw := csv.NewWriter(buf)
	cw.UseCRLF = true
	return &csvSheet{buf: buf, w: cw}, nil
}

func (s *csvSheet) Row(values []any) error {
	s.row = s.row[:0]
	for _, v := range values {
		s.row = append(s.row, csvCell(v))
	}
	return s.w.Write(s.row)
}

// csvCell renders a value. Text that a spreadsheet would read as a formula
// (=, +, -, @ first) is prefixed with an apostrophe: problem titles and notes
// are typed by enterprises, and a leader opening the ledger must not run them.
func csvCell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r') {
			return "'" + v
		}
		return v
	case float64:
		return fmt.Sprintf("%g", v)
	}
	return fmt.Sprint(v)
}

func (s *csvSheet) Flush() error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return err
	}
	return s.buf.Flush()
}

func (s *csvSheet) Close() error { return s.Flush() }

// xlsxSheet writes through excelize's StreamWriter, which keeps rows in a
// temporary file beyond a small buffer rather than as cell objects in memory.
type xlsxSheet struct {
	out io.Writer
	f   *excelize.File
	sw  *excelize.StreamWriter
	n   int
}

func newXLSX(w io.Writer, name string, cols int) (*xlsxSheet, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", name); err != nil {
		_ = f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	// Wide enough for a Chinese enterprise name or date; the title row stays
	// in view while scrolling.
	if err := sw.SetColWidth(1, max(cols, 1), 18); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &xlsxSheet{out: w, f: f, sw: sw}, nil
}

func (s *xlsxSheet) Row(values []any) error {
	s.n++
	cell, err := excelize.CoordinatesToCellName(1, s.n)
	if err != nil {
		return err
	}
	return s.sw.SetRow(cell, values)
}

func (s *xlsxSheet) Flush() error { return nil }

func (s *xlsxSheet) Close() error {
	defer s.f.Close()
	if err := s.sw.Flush(); err != nil {
		return err
	}
	_, err := s.f.WriteTo(s.out)
	return err
}
