package demo

import (
	"fmt"

	"github.com/fieldcheck/fieldcheck/backend"
)

// DemoUser is a login of the demo county with its plain demo password.
// Seed stores only the password's hash.
type DemoUser struct {
	User     *backend.User
	Password string
}

// Login is what the demo command prints for each user.
type Login struct {
	Username    string
	DisplayName string
	Role        backend.Role
	Department  string // "" for the administrator
	Password    string
}

// DemoPassword returns the documented demo password of a user.
func DemoPassword(username string) string { return "demo-" + username }

// users generates the logins: an administrator, a manager per department,
// two reviewers and a login for every inspector (whose Inspector.UserID it
// sets), <dept>.inspector<n> for ins-<dept>-<n>, so that every drawn team
// can work its task on phones.
func users(ins []*backend.Inspector) []DemoUser {
	var out []DemoUser
	add := func(id, name string, role backend.Role, depts ...string) {
		u := &backend.User{ID: id, DisplayName: name, Role: role, Departments: append([]string{}, depts...)}
		out = append(out, DemoUser{User: u, Password: DemoPassword(id)})
	}
	add("admin", "系统管理员", backend.RoleAdmin)
	add("oversight", "监督室", backend.RoleOversight)
	for _, d := range deptSpecs {
		add(d.ID+".manager", d.Short+"业务管理员", backend.RoleManager, d.ID)
	}
	add("scjg.reviewer", "市场监管局审核员", backend.RoleReviewer, "scjg")
	add("yjgl.reviewer", "应急管理局审核员", backend.RoleReviewer, "yjgl")
	for _, d := range deptSpecs {
		for n := 1; n <= d.Inspectors; n++ {
			in := findInspector(ins, inspectorID(d.ID, n))
			id := fmt.Sprintf("%s.inspector%d", d.ID, n)
			add(id, in.Name, backend.RoleInspector, d.ID)
			in.UserID = id
		}
	}
	return out
}

func findInspector(ins []*backend.Inspector, id string) *backend.Inspector {
	for _, in := range ins {
		if in.ID == id {
			return in
		}
	}
	panic("demo: no inspector " + id)
}

// hashDemoPassword hashes a demo password with the shared policy and cost.
func hashDemoPassword(p string) (string, error) { return backend.HashPassword(p) }
