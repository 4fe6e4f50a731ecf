// Package envflag reads a command's configuration the one way every binary here does: flags, each
// with an environment variable. A flag given on the command line wins over its variable, which wins
// over the default; an empty variable counts as unset. Variables are parsed by the flag's own
// parser, so a malformed value fails the start (naming the variable) instead of falling back to the
// default. -help names each flag's variable and shows built-in defaults only, never the
// environment's values (which may be secrets).
package envflag

import (
	"flag"
	"fmt"
	"io"
	"time"
)

// Set is a flag.FlagSet whose flags fall back to environment variables.
type Set struct {
	fs     *flag.FlagSet
	getenv func(string) string
	vars   []binding
}

type binding struct{ flag, env string }

// New returns a Set for the command name that reads variables with getenv (os.Getenv) and writes
// usage and parse errors to out.
func New(name string, getenv func(string) string, out io.Writer) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return &Set{fs: fs, getenv: getenv}
}

func (s *Set) bind(name, env string) { s.vars = append(s.vars, binding{name, env}) }

func withEnv(usage, env string) string { return usage + " (env " + env + ")" }

// String defines a string flag with its variable.
func (s *Set) String(p *string, name, env, def, usage string) {
	s.fs.StringVar(p, name, def, withEnv(usage, env))
	s.bind(name, env)
}

// Int defines an int flag with its variable.
func (s *Set) Int(p *int, name, env string, def int, usage string) {
	s.fs.IntVar(p, name, def, withEnv(usage, env))
	s.bind(name, env)
}

// Int64 defines an int64 flag with its variable.
func (s *Set) Int64(p *int64, name, env string, def int64, usage string) {
	s.fs.Int64Var(p, name, def, withEnv(usage, env))
	s.bind(name, env)
}

// Float64 defines a float64 flag with its variable.
func (s *Set) Float64(p *float64, name, env string, def float64, usage string) {
	s.fs.Float64Var(p, name, def, withEnv(usage, env))
	s.bind(name, env)
}

// Bool defines a bool flag (default false) with its variable.
func (s *Set) Bool(p *bool, name, env, usage string) {
	s.fs.BoolVar(p, name, false, withEnv(usage, env))
	s.bind(name, env)
}

// Duration defines a duration flag with its variable.
func (s *Set) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	s.fs.DurationVar(p, name, def, withEnv(usage, env))
	s.bind(name, env)
}

// Var defines a flag of any flag.Value with its variable; the variable's value is passed to Set once.
func (s *Set) Var(v flag.Value, name, env, usage string) {
	s.fs.Var(v, name, withEnv(usage, env))
	s.bind(name, env)
}

// Parse parses args, then sets every flag not given on the command line from its variable. It
// returns flag.ErrHelp for -help, and an error for positional arguments.
func (s *Set) Parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	if s.fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", s.fs.Args())
	}
	given := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, b := range s.vars {
		v := s.getenv(b.env)
		if given[b.flag] || v == "" {
			continue
		}
		if err := s.fs.Set(b.flag, v); err != nil {
			return fmt.Errorf("%s: %w", b.env, err)
		}
	}
	return nil
}

// Switch defines a bool flag with no variable, for what only makes sense on a command line (--version).
func (s *Set) Switch(p *bool, name, usage string) {
	s.fs.BoolVar(p, name, false, usage)
}
