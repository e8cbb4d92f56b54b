package backend

import "context"

// Dashboard is what needs a back-office user now (the console's 工作台),
// for the caller's departments (every department for an administrator).
// Every figure comes with bounded work: task counts from an index, plans
// and inspectors from lists capped at DashboardScanLimit.
type Dashboard struct {
	// ReviewQueue is how many tasks led by the departments are submitted
	// and wait for review.
	ReviewQueue int `json:"reviewQueue"`
	// PlansAwaitingDraw is how many of the departments' plans are
	// published and not drawn yet.
	PlansAwaitingDraw int `json:"plansAwaitingDraw"`
	// ExpiringCertificates is how many active inspectors of the
	// departments hold an enforcement certificate that has expired or
	// expires within CertificateWarningDays: they cannot be drawn then.
	ExpiringCertificates   int `json:"expiringCertificates"`
	CertificateWarningDays int `json:"certificateWarningDays"`
	// Capped says a list behind a figure was longer than
	// DashboardScanLimit: the figure is a lower bound.
	Capped bool `json:"capped"`
	// TasksByDepartment counts the tasks each department leads, by status.
	TasksByDepartment []DepartmentTaskCounts `json:"tasksByDepartment"`
	// OverdueTasks is how many open tasks of the departments are past
	// their due day (Asia/Shanghai), counted from the task index.
	OverdueTasks int `json:"overdueTasks"`
	// DevicesPending (administrators only, else 0) is how many phones
	// wait for approval; DevicesStale how many may log in but were not
	// used for DeviceStaleDays: to revoke if lost. At most
	// DashboardScanLimit each (Capped).
	DevicesPending  int `json:"devicesPending"`
	DevicesStale    int `json:"devicesStale"`
	DeviceStaleDays int `json:"deviceStaleDays"`
}

// DepartmentTaskCounts is one department's tasks by status.
type DepartmentTaskCounts struct {
	Department     string             `json:"department"`
	DepartmentName string             `json:"departmentName"`
	Counts         map[TaskStatus]int `json:"counts"`
}

// CertificateWarningDays is how long before its expiry a certificate is
// shown on the dashboard.
const CertificateWarningDays = 30

// DashboardScanLimit bounds the plans and inspectors the dashboard reads
// for one answer.
const DashboardScanLimit = 1000

// TaskCount is the number of tasks of one lead department in one status.
type TaskCount struct {
	LeadDepartment string
	Status         TaskStatus
	Count          int
}

// TaskCounter counts tasks without reading them.
type TaskCounter interface {
	// CountTasks counts the tasks led by the departments (every task when
	// departments is nil) by lead department and status.
	CountTasks(ctx context.Context, departments []string) ([]TaskCount, error)
	// CountOverdueTasks counts the open tasks led by the departments (all
	// when nil) due before the day.
	CountOverdueTasks(ctx context.Context, departments []string, before Date) (int, error)
}

// PlanProgress is how a drawn plan's field work advanced, batch by batch
// and day by day (the console's 工作台 chart): per day (Asia/Shanghai),
// how many of the batch's tasks had been checked in on, submitted for
// review and approved by the end of that day. It is computed from the
// plan's stored tasks (at most MaxProgressTasks).
type PlanProgress struct {
	PlanID   string          `json:"planId"`
	PlanName string          `json:"planName"`
	Batches  []BatchProgress `json:"batches"`
	// Capped says the plan has more than MaxProgressTasks tasks: the
	// figures count the first ones only.
	Capped bool `json:"capped"`
}

// BatchProgress is one batch's progress: Tasks is how many tasks it has
// (replaced and cancelled ones left out), Days every day from the batch's
// start (or its first event, when earlier) to today or its end, whichever
// comes first (or to its last event, when later), at most
// MaxProgressDays (the last ones).
type BatchProgress struct {
	Batch string        `json:"batch"`
	Start Date          `json:"start,omitempty"`
	End   Date          `json:"end,omitempty"`
	Tasks int           `json:"tasks"`
	Days  []DayProgress `json:"days"`
}

// DayProgress counts a batch's tasks by the end of Day: CheckedIn those
// with a check-in (by the phone's time), Submitted those whose result the
// team had entered, Approved those a reviewer had approved.
type DayProgress struct {
	Day       Date `json:"day"`
	CheckedIn int  `json:"checkedIn"`
	Submitted int  `json:"submitted"`
	Approved  int  `json:"approved"`
}

// MaxProgressTasks bounds the tasks one PlanProgress reads; MaxProgressDays
// the days of a batch it lists.
const (
	MaxProgressTasks = 20000
	MaxProgressDays  = 400
)
