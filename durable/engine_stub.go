package durable

// Temporary: the engine is being written; these declarations let the
// public API compile.

type scope struct{}

type stepSpec struct {
	name      string
	subType   string
	semantics Semantics
	serdes    Serdes
	retry     RetryStrategy
	body      func(StepContext) (string, error)
	replay    func(string) error
}

type conditionSpec struct {
	name    string
	serdes  Serdes
	initial func() (string, error)
	check   func(sc StepContext, stateData string, attempt int) (string, WaitDecision, error)
	result  func(string) error
}

type childSpec struct {
	name    string
	subType string
	body    func(Context) (string, error)
	replay  func(string) error
}

type batchSpec struct {
	count          int
	maxConcurrency int
	completion     CompletionConfig
	nesting        Nesting
	name           func(int) string
	item           func(Context, int) (string, error)
}

type itemOutcome struct {
	index  int
	status ItemStatus
	data   string
	err    error
}

func (s *scope) claim() string                    { panic("not implemented") }
func (s *scope) runStep(stepSpec) error           { panic("not implemented") }
func (s *scope) runWait(string, int32) error      { panic("not implemented") }
func (s *scope) runCondition(conditionSpec) error { panic("not implemented") }
func (s *scope) runChild(string, childSpec) error { panic("not implemented") }
func (s *scope) runBatch(batchSpec) ([]itemOutcome, CompletionReason, error) {
	panic("not implemented")
}

// Wrap turns h into the raw invocation handler Lambda calls.
func Wrap[I, O any](h Handler[I, O], opts ...Option) RawHandler { panic("not implemented") }
