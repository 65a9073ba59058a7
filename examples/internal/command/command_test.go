package command

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/semigan/semigan/sgan"
	"github.com/semigan/semigan/sgan/rundir"
)

// mainEnv makes the test binary run Main as a program (see TestMain):
// its value picks what the program's body does.
const mainEnv = "COMMAND_TEST_MAIN"

func TestMain(m *testing.M) {
	switch os.Getenv(mainEnv) {
	case "":
		os.Exit(m.Run())
	case "ok":
		Main("prog", func(_ context.Context, args []string, stdout, _ io.Writer) error {
			fmt.Fprintf(stdout, "args %q\n", args)
			return nil
		})
	case "fail":
		Main("prog", func(context.Context, []string, io.Writer, io.Writer) error {
			return errors.New("it broke")
		})
	case "help":
		Main("prog", func(context.Context, []string, io.Writer, io.Writer) error { return flag.ErrHelp })
	case "interrupt":
		// The context is live until an interrupt, which cancels it.
		Main("prog", func(ctx context.Context, _ []string, stdout, _ io.Writer) error {
			fmt.Fprintf(stdout, "ready, err %v\n", ctx.Err())
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Minute):
				return errors.New("no interrupt")
			}
		})
	}
	os.Exit(0) // Main returned: the program ended well
}

func TestMainExit(t *testing.T) {
	for _, test := range []struct {
		mode, stdout, stderr string
		code                 int
	}{
		{"ok", "args [\"-x\" \"1\"]\n", "", 0},
		{"fail", "", "prog: it broke\n", 1},
		// an interrupted run exits 130, as a shell reports Ctrl-C (issue 24,
		// row 9: interrupted runs exited 0)
		{"interrupt", "ready, err <nil>\n", "prog: context canceled\n", 130},
		{"help", "", "", 0},
	} {
		t.Run(test.mode, func(t *testing.T) {
			if test.mode == "interrupt" && runtime.GOOS == "windows" {
				t.Skip("no interrupt signal to send on Windows")
			}
			cmd := exec.Command(os.Args[0], "-x", "1")
			cmd.Env = append(os.Environ(), mainEnv+"="+test.mode)
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Start()
			if err == nil && test.mode == "interrupt" {
				// interrupt once the program is waiting for it
				for i := 0; i < 1000 && !strings.HasPrefix(stdout.String(), "ready"); i++ {
					time.Sleep(10 * time.Millisecond)
				}
				err = cmd.Process.Signal(os.Interrupt)
			}
			if err == nil {
				err = cmd.Wait()
			}
			code := 0
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != test.code || stdout.String() != test.stdout || stderr.String() != test.stderr {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout.String(), stderr.String(), test.code, test.stdout, test.stderr)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that a test may read while a command
// writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// tiny is a small, fast model: 3 classes of 1×4×4 rows, the MLP.
func tiny() (sgan.ModelConfig, sgan.TrainConfig) {
	mc := sgan.DefaultModelConfig()
	mc.Classes, mc.Channels, mc.Height, mc.Width, mc.Arch, mc.LatentDim, mc.Seed = 3, 1, 4, 4, sgan.ArchMLP, 8, 5
	tc := sgan.DefaultTrainConfig(mc)
	tc.BatchSize = 4
	return mc, tc
}

func TestNewTrainer(t *testing.T) {
	mc, tc := tiny()
	tr, err := NewTrainer(mc, tc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tr.Model().Config(), m.Config(); got != want {
		t.Errorf("model config %+v, want %+v", got, want)
	}
	if got := tr.Config(); got.BatchSize != tc.BatchSize {
		t.Errorf("train config batch %d, want %d", got.BatchSize, tc.BatchSize)
	}
	for _, test := range []struct {
		name string
		mod  func(*sgan.ModelConfig, *sgan.TrainConfig)
	}{
		{"bad model", func(m *sgan.ModelConfig, _ *sgan.TrainConfig) { m.Classes = 1 }},
		{"bad training", func(_ *sgan.ModelConfig, c *sgan.TrainConfig) { c.BatchSize = 1 }},
	} {
		m, c := tiny()
		test.mod(&m, &c)
		if tr, err := NewTrainer(m, c); err == nil || tr != nil {
			t.Errorf("%s: trainer %v, error %v; want an error", test.name, tr, err)
		}
	}
}

func TestOpenRun(t *testing.T) {
	const hint = "replace it with -force"
	mc, tc := tiny()
	dir := t.TempDir()
	for _, test := range []struct {
		name      string
		earlier   bool // dir holds an earlier run's checkpoint
		overwrite bool
		wantErr   bool
	}{
		{"new directory", false, false, false},
		{"earlier run", true, false, true},
		{"earlier run, overwrite", true, true, false},
	} {
		t.Run(test.name, func(t *testing.T) {
			d := filepath.Join(dir, strings.ReplaceAll(test.name, " ", "_"))
			if test.earlier {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, rundir.CheckpointFile), []byte("earlier"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tr, err := NewTrainer(mc, tc)
			if err != nil {
				t.Fatal(err)
			}
			run, err := OpenRun(d, tr, rundir.Options{Progress: io.Discard, NoBar: true, Overwrite: test.overwrite}, hint)
			if !test.wantErr {
				if err != nil || run == nil {
					t.Fatalf("run %v, error %v", run, err)
				}
				if err := run.Close(); err != nil {
					t.Error(err)
				}
				return
			}
			if run != nil || !errors.Is(err, fs.ErrExist) || !strings.HasSuffix(err.Error(), "; "+hint) {
				t.Errorf("run %v, error %v; want fs.ErrExist ending in %q", run, err, "; "+hint)
			}
		})
	}
}

func TestSynthesize(t *testing.T) {
	mc, _ := tiny()
	m, err := sgan.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	for _, test := range []struct {
		name     string
		opts     sgan.SynthOptions
		perClass int
		warn     bool
		wantErr  bool
		wantLen  int // when no error
	}{
		{"every example kept", sgan.SynthOptions{MinConfidence: -1}, 2, false, false, 6},
		// an untrained classifier of 3 classes is never this sure
		{"too few confident", sgan.SynthOptions{MinConfidence: 0.999, MaxDraws: 30}, 2, true, false, -1},
		{"bad request", sgan.SynthOptions{MinConfidence: -1}, -1, false, true, 0},
	} {
		t.Run(test.name, func(t *testing.T) {
			var stderr bytes.Buffer
			syn, err := Synthesize(m, test.perClass, test.opts, rand.New(rand.NewPCG(1, 2)), &stderr, []string{"ant", "bee", "cat"}, "lower -min-confidence")
			if test.wantErr {
				if err == nil || syn != nil || stderr.Len() > 0 {
					t.Errorf("set %v, error %v, stderr %q; want only an error", syn, err, stderr.String())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if warned := strings.HasPrefix(stderr.String(), "warning: "); warned != test.warn {
				t.Errorf("stderr %q; want a warning: %v", stderr.String(), test.warn)
			}
			// issue 24, row 26: the warning names the classes and the
			// program's flags, not "class 2" and SynthOptions fields
			if test.warn && (!strings.Contains(stderr.String(), `class "`) || !strings.HasSuffix(stderr.String(), "; lower -min-confidence\n") || strings.Contains(stderr.String(), "SynthOptions")) {
				t.Errorf("warning %q: want class names and the flag hint, no Go names", stderr.String())
			}
			if test.wantLen >= 0 && (syn == nil || syn.Len() != test.wantLen) {
				t.Errorf("set %v; want %d examples", syn, test.wantLen)
			}
		})
	}
}
