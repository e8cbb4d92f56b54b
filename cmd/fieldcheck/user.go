package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fieldcheck/fieldcheck/backend"
)

func runUser(ctx context.Context, args []string, in io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("user needs a subcommand: add, disable, enable, reset-password or end-sessions")
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	role := fs.String("role", "", "admin, manager, reviewer, inspector or oversight (add)")
	depts := fs.String("department", "", "comma-separated department ids (add)")
	name := fs.String("name", "", "display name (add; default the username)")
	pos, err := parse(fs, args[1:], stderr)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("user %s needs exactly one USERNAME", sub)
	}
	username := pos[0]
	switch sub {
	case "add", "disable", "enable", "reset-password", "end-sessions":
	default:
		return usageError("unknown user subcommand %q", sub)
	}
	if sub == "add" && !backend.Role(*role).Valid() {
		return usageError("user add needs --role admin|manager|reviewer|inspector")
	}

	m, ctx, err := openStore(ctx, &sf, stderr, "user")
	if err != nil {
		return err
	}
	defer m.Close()

	switch sub {
	case "add":
		pw, generated, err := readPassword(in)
		if err != nil {
			return err
		}
		u := &backend.User{ID: username, DisplayName: *name, Role: backend.Role(*role)}
		if u.DisplayName == "" {
			u.DisplayName = username
		}
		if *depts != "" {
			u.Departments = strings.Split(*depts, ",")
		}
		if err := m.Users.CreateUser(ctx, u, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s %s\n", u.Role, u.ID)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", pw)
		}
	case "disable", "enable":
		if _, err := m.Users.SetDisabled(ctx, username, sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%sd %s\n", sub, username)
	case "end-sessions":
		if _, err := m.Users.EndSessions(ctx, username); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "ended every session of %s\n", username)
	case "reset-password":
		pw, generated, err := readPassword(in)
		if err != nil {
			return err
		}
		if _, err := m.Users.ResetPassword(ctx, username, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s reset; every session of it ended\n", username)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n", pw)
		}
	}
	return nil
}

// readPassword takes the password from FIELDCHECK_PASSWORD, else the first
// line of standard input when it is not a terminal, else generates one.
func readPassword(in io.Reader) (pw string, generated bool, err error) {
	if p := os.Getenv("FIELDCHECK_PASSWORD"); p != "" {
		return p, false, nil
	}
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			in = nil // a terminal: generate rather than echo a typed password
		}
	}
	if in != nil {
		line, err := bufio.NewReader(io.LimitReader(in, 1024)).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", false, err
		}
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			return line, false, nil
		}
	}
	p, err := backend.GeneratePassword(nil)
	return p, true, err
}
