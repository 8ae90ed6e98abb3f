package export

import (
	"context"

	"github.com/lianqi/lianqi/domain"
	"github.com/lianqi/lianqi/service"
)

// Opener starts the file once the first rows are known to be readable, so
// that a refusal (no token, wrong role, bad filter) can still be answered as
// a JSON error rather than as a broken download.
type Opener func(sheet string, titles []string) (Sheet, error)

// ProblemTitles are the columns of the problem ledger (问题台账).
var ProblemTitles = []string{
	"序号", "问题编号", "企业", "乡镇（街道）", "挂联干部", "问题类别", "问题", "层级", "状态", "责任部门",
	"响应期限", "办结期限", "是否超期", "最近一步", "最近一步时间", "最近一步人员", "上报时间", "上报人",
}

// batchSize is how many problems are read, joined and written at a time.
var batchSize = 500

// Problems writes the caller's problem listing, with the filter, scope and
// order of the `problems` query, one row per problem. The official is the
// lead of the enterprise's current pairing (enterprise.leadOfficial); the
// last step is the newest entry of the problem's history. Names follow the
// rules for people (service.PersonNames): a dashboard token gets no names.
func Problems(ctx context.Context, svc *service.Service, f domain.ProblemFilter, sort domain.ProblemSort, open Opener) error {
	j := &problemJoin{svc: svc, people: svc.SeesPeople(ctx), enterprises: map[string]*domain.Enterprise{}}
	var sheet Sheet
	n := 0
	err := svc.EachProblem(ctx, f, sort, batchSize, func(batch []*domain.Problem) error {
		rows, err := j.rows(ctx, batch)
		if err != nil {
			return err
		}
		if sheet == nil {
			if sheet, err = open("问题台账", ProblemTitles); err != nil {
				return err
			}
		}
		for _, r := range rows {
			n++
			r[0] = n
			if err := sheet.Row(r); err != nil {
				return err
			}
		}
		return sheet.Flush()
	})
	if err != nil {
		return err
	}
	if sheet == nil {
		if sheet, err = open("问题台账", ProblemTitles); err != nil {
			return err
		}
	}
	return sheet.Close()
}

// problemJoin adds to each problem what the ledger shows beside it, reading
// each enterprise and the lead officials once per export.
type problemJoin struct {
	svc         *service.Service
	people      bool
	enterprises map[string]*domain.Enterprise
	leads       map[string]string // enterprise id → lead official's name
}

func (j *problemJoin) rows(ctx context.Context, batch []*domain.Problem) ([][]any, error) {
	if err := j.loadLeads(ctx); err != nil {
		return nil, err
	}
	var missing, ids, reporters []string
	for _, p := range batch {
		ids = append(ids, p.ID)
		reporters = append(reporters, p.ReportedByUserID)
		if _, ok := j.enterprises[p.EnterpriseID]; !ok {
			missing = append(missing, p.EnterpriseID)
			j.enterprises[p.EnterpriseID] = nil
		}
	}
	if len(missing) > 0 {
		ents, err := j.svc.EnterprisesByIDs(ctx, missing)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			j.enterprises[e.ID] = e
		}
	}
	notes, err := j.svc.ProgressNotes(ctx, ids)
	if err != nil {
		return nil, err
	}
	// Notes come oldest first: the last one seen per problem is its last step.
	last := make(map[string]*domain.ProgressNote, len(batch))
	for _, n := range notes {
		last[n.ProblemID] = n
		reporters = append(reporters, n.AuthorUserID)
	}
	names, err := j.svc.PersonNames(ctx, reporters)
	if err != nil {
		return nil, err
	}
	now := j.svc.Now()
	rows := make([][]any, 0, len(batch))
	for _, p := range batch {
		var entName, town string
		if e := j.enterprises[p.EnterpriseID]; e != nil {
			entName, town = e.Name, e.Town
		}
		var kind, at, by string
		if n := last[p.ID]; n != nil {
			kind, at, by = ActionLabel(n.Kind), FormatTime(n.At), names[n.AuthorUserID]
		}
		rows = append(rows, []any{0, p.ID, entName, town, j.leads[p.EnterpriseID], p.Category.Label(), p.Title,
			string(p.Level), StatusLabel(p.Status), p.ResponsibleDepartment, FormatTime(p.RespondBy), FormatTime(p.ResolveBy),
			yesNo(p.Overdue(now)), kind, at, by, FormatTime(p.ReportedAt), names[p.ReportedByUserID]})
	}
	return rows, nil
}

// loadLeads reads, once, who leads each enterprise in the caller's scope.
func (j *problemJoin) loadLeads(ctx context.Context) error {
	if j.leads != nil {
		return nil
	}
	j.leads = map[string]string{}
	if !j.people {
		return nil
	}
	pairings, err := j.svc.Pairings(ctx, domain.PairingFilter{ActiveOnly: true})
	if err != nil {
		return err
	}
	var ids []string
	for _, p := range pairings {
		ids = append(ids, p.LeadOfficialID)
	}
	officials, err := j.svc.OfficialsByIDs(ctx, ids)
	if err != nil {
		return err
	}
	name := make(map[string]string, len(officials))
	for _, o := range officials {
		name[o.ID] = o.Name
	}
	for _, p := range pairings {
		j.leads[p.EnterpriseID] = name[p.LeadOfficialID]
	}
	return nil
}
