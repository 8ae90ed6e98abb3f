package datalife

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Commands are the sub-commands of the lianqi binary this package serves.
var Commands = []string{"backup", "restore", "migrate"}

// Main runs the sub-command named by args[0] if it is one of Commands; handled
// is false otherwise (the server parses its flags as usual). code is the exit
// status: 0, 1 for a failure, 2 for a usage error.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) (handled bool, code int) {
	if len(args) == 0 {
		return false, 0
	}
	cmd := args[0]
	var run func(context.Context, []string, func(string) string, io.Writer) error
	switch cmd {
	case "backup":
		run = backupCmd
	case "restore":
		run = restoreCmd
	case "migrate":
		run = migrateCmd
	default:
		return false, 0
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err := run(ctx, args[1:], getenv, stdout)
	var he *helpError
	switch {
	case err == nil:
		return true, 0
	case errors.As(err, &he):
		fmt.Fprint(stdout, he.usage)
		return true, 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "lianqi %s: %v\n", cmd, err)
		return true, 2
	default:
		fmt.Fprintf(stderr, "lianqi %s: %v\n", cmd, err)
		return true, 1
	}
}

var errUsage = errors.New("usage")

type helpError struct{ usage string }

func (e *helpError) Error() string { return e.usage }

// parse parses a sub-command's flags; -h gives its usage.
func parse(fs *flag.FlagSet, synopsis string, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			var b strings.Builder
			fmt.Fprintf(&b, "Usage: lianqi %s\n\n", synopsis)
			fs.SetOutput(&b)
			fs.PrintDefaults()
			return &helpError{usage: b.String()}
		}
		return fmt.Errorf("%w: %v (see -h)", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (see -h)", errUsage, fs.Arg(0))
	}
	return nil
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	dataDir := fs.String("data-dir", or(getenv("DATA_DIR"), "./data"), "data directory of the (running or stopped) embedded database (env DATA_DIR)")
	out := fs.String("out", "", "new directory, or file ending in .tar.gz/.tgz, to write the backup to; it contains the JWT signing keys: keep it as secret as the server")
	if err := parse(fs, "backup --out FILE.tar.gz|DIR [--data-dir DIR]", args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	m, err := Backup(ctx, *dataDir, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s: %s; secrets: %s (keep it private)\n", *out, strings.Join(m.Databases, ", "), strings.Join(m.Secrets, ", "))
	return nil
}

func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	from := fs.String("from", "", "backup directory or .tar.gz/.tgz file written by lianqi backup")
	dataDir := fs.String("data-dir", or(getenv("DATA_DIR"), "./data"), "data directory to restore into; no server may be running on it (env DATA_DIR)")
	force := fs.Bool("force", false, "replace the database and keys the data directory already holds")
	if err := parse(fs, "restore --from FILE.tar.gz|DIR [--data-dir DIR] [--force]", args); err != nil {
		return err
	}
	if *from == "" {
		return fmt.Errorf("%w: --from is required", errUsage)
	}
	m, err := Restore(ctx, *from, *dataDir, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored the backup of %s into %s: %s\n", m.CreatedAt.Format("2006-01-02 15:04:05Z"), *dataDir, strings.Join(append(m.Databases, m.Secrets...), ", "))
	return nil
}

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var o MigrateOptions
	fs.StringVar(&o.DataDir, "data-dir", or(getenv("DATA_DIR"), "./data"), "data directory of the embedded database; stop the server first (env DATA_DIR)")
	fs.StringVar(&o.DB, "db", or(getenv("MONGODB_DB"), "lianqi"), "database name (env MONGODB_DB)")
	fs.StringVar(&o.To, "to", "", "mongodb:// or mongodb+srv:// URI of the target")
	fs.StringVar(&o.ToDB, "to-db", "", "database name on the target (default: --db)")
	fs.BoolVar(&o.Force, "force", false, "drop the target database first if it is not empty")
	if err := parse(fs, "migrate --to mongodb://… [--data-dir DIR] [--db NAME] [--to-db NAME] [--force]", args); err != nil {
		return err
	}
	if !strings.HasPrefix(o.To, "mongodb://") && !strings.HasPrefix(o.To, "mongodb+srv://") {
		return fmt.Errorf("%w: --to must be a mongodb:// or mongodb+srv:// URI", errUsage)
	}
	o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	reports, err := Migrate(ctx, o)
	if err != nil {
		return err
	}
	var docs int64
	for _, r := range reports {
		docs += r.Docs
	}
	fmt.Fprintf(stdout, "migrated %d collections, %d documents; counts, contents and sync checksums verified.\n"+
		"Start the server with MONGODB_URI set to the target and the same --data-dir (it holds the JWT keys).\n", len(reports), docs)
	return nil
}
