package domain

// Chinese labels for what people read (zh-CN, the programme's language): the
// API keeps its enum values as contracts and adds …Label fields beside them,
// as Category.Label does.

var statusLabels = map[ProblemStatus]string{
	StatusReported: "已上报", StatusAcknowledged: "已受理", StatusInProgress: "办理中",
	StatusResolved: "已解决", StatusConfirmed: "企业已确认", StatusWithdrawn: "已撤回",
}

// Label is the status in Chinese.
func (s ProblemStatus) Label() string { return statusLabels[s] }

var levelLabels = map[Level]string{
	L1: "当场解决", L2: "系统内解决", L3: "跨部门协调（函告/协调会）", L4: "县长办公会议",
}

// Label is the rung of the ladder in Chinese.
func (l Level) Label() string { return levelLabels[l] }

var modeLabels = map[EscalationMode]string{ModeLetter: "函告", ModeMeeting: "协调会", ModeExecutiveMeeting: "县长办公会议"}

// Label is the escalation mode in Chinese; "" for none.
func (m EscalationMode) Label() string { return modeLabels[m] }

var actionLabels = map[Action]string{
	ActionNote: "进展记录", ActionAcknowledge: "受理", ActionStart: "开始办理", ActionEscalate: "上报升级",
	ActionResolve: "办结", ActionConfirm: "企业确认", ActionReopen: "重新办理", ActionWithdraw: "撤回",
	ActionCoordination: "函告/协调会记录", ActionReply: "部门回复", ActionDecision: "县长办公会议决定",
}

// Label is the kind of history entry in Chinese.
func (a Action) Label() string { return actionLabels[a] }

// Ranking components carry their Chinese name in the ranking's
// configuration (RankingComponents, ComponentLabel in rankingconfig.go).

// StatusLabel, LevelLabel and EscalationModeLabel are the problem's state in Chinese.
func (p *Problem) StatusLabel() string         { return p.Status.Label() }
func (p *Problem) LevelLabel() string          { return p.Level.Label() }
func (p *Problem) EscalationModeLabel() string { return p.EscalationMode.Label() }

// KindLabel and the other …Label methods are the history entry's step and
// states in Chinese; "" where the entry has none.
func (n *ProgressNote) KindLabel() string       { return n.Kind.Label() }
func (n *ProgressNote) FromStatusLabel() string { return n.FromStatus.Label() }
func (n *ProgressNote) ToStatusLabel() string   { return n.ToStatus.Label() }
func (n *ProgressNote) FromLevelLabel() string  { return n.FromLevel.Label() }
func (n *ProgressNote) ToLevelLabel() string    { return n.ToLevel.Label() }
func (n *ProgressNote) ModeLabel() string       { return n.Mode.Label() }
