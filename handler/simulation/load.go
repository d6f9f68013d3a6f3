package simulation

import (
	"container/heap"
	"math/rand/v2"
	"time"

	"github.com/bedrockvideo/pipeline/handler/admission"
	"github.com/bedrockvideo/pipeline/handler/pollschedule"
)

// Load describes a backlog: Messages jobs of one Scenario sent to the
// queue in bursts, against an account that runs at most Quota of the
// model's jobs at once, processed by the deployment's event source mapping
// (one record per execution, the default batch size).
type Load struct {
	Messages int
	Quota    int
	Scenario Scenario
	// BurstSize messages arrive together, every BurstInterval.
	BurstSize     int
	BurstInterval time.Duration
	// Executions is how many executions the event source mapping runs at
	// once; messages beyond wait in the queue without being received.
	Executions int
	// ExecutionTimeout is the durable execution timeout; the budget is
	// pollschedule.Budget of it.
	ExecutionTimeout time.Duration
	// Visibility is the queue's visibility timeout: a reported record is
	// received again that long after its previous receive.
	Visibility time.Duration
	// MaxReceives is the redrive policy's maxReceiveCount: a message
	// received that many times goes to the dead-letter queue at its next
	// receive.
	MaxReceives int
	// Policy paces the start attempts.
	Policy admission.Policy
	// Admission turns on the ListAsyncInvokes check before each start.
	Admission bool
	// CheckLatency separates an admission check from the start it allows
	// (the two calls' round trips): starts of other records in between
	// make Bedrock refuse it.
	CheckLatency time.Duration
}

// DefaultLoad is the deployment's defaults — 900 s execution timeout and
// visibility timeout, 100 receives, the handler's admission — for n
// messages of a 6-second Nova Reel video against a quota of q, arriving in
// bursts of up to 100 a minute, with the event source mapping's default
// ceiling of 5 pollers of about 10 executions each.
func DefaultLoad(n, q int) Load {
	return Load{
		Messages: n, Quota: q, Scenario: Scenarios()[0],
		BurstSize: min(n, 100), BurstInterval: time.Minute,
		Executions:       50,
		ExecutionTimeout: 900 * time.Second, Visibility: 900 * time.Second, MaxReceives: 100,
		Policy: admission.Default, Admission: true, CheckLatency: 200 * time.Millisecond,
	}
}

// LoadResult is what a backlog cost.
type LoadResult struct {
	// Makespan runs from the first arrival to the last result written.
	Makespan time.Duration
	// Ideal is the total generation time divided by the quota: the
	// makespan of a perfectly packed account (N × generation time ÷ Q).
	Ideal time.Duration
	// Waves is ⌈N ÷ Q⌉ × the mean generation time: no schedule can beat
	// it, since some slot has to run that many jobs one after the other.
	Waves time.Duration
	// Videos counts results written SUCCEEDED; DeadLettered counts
	// messages moved to the dead-letter queue.
	Videos, DeadLettered int
	// Deliveries is the mean number of receives per message;
	// MaxDeliveries the largest.
	Deliveries    float64
	MaxDeliveries int
	// StartCalls counts StartAsyncInvoke calls; WastedStarts those Bedrock
	// refused for the quota; Checks the admission checks
	// (ListAsyncInvokes).
	StartCalls, WastedStarts, Checks int
	// Deferred counts the times a record gave up waiting for capacity
	// because its execution's budget was spent.
	Deferred int
}

// MakespanRatio is Makespan ÷ Ideal.
func (r LoadResult) MakespanRatio() float64 { return float64(r.Makespan) / float64(r.Ideal) }

// WavesRatio is Makespan ÷ Waves.
func (r LoadResult) WavesRatio() float64 { return float64(r.Makespan) / float64(r.Waves) }

// StartsPerJob is StartCalls per video.
func (r LoadResult) StartsPerJob() float64 { return float64(r.StartCalls) / float64(max(r.Videos, 1)) }

// SimulateLoad runs the backlog to its end with a PCG generator seeded
// with seed.
func SimulateLoad(l Load, seed uint64) LoadResult {
	s := &loadSim{
		l: l, r: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)),
		msgs: make([]message, l.Messages), budget: pollschedule.Budget(l.ExecutionTimeout),
	}
	for i := range l.Messages {
		s.at(time.Duration(i/max(l.BurstSize, 1))*l.BurstInterval, evVisible, i)
	}
	for s.events.Len() > 0 {
		e := heap.Pop(&s.events).(event)
		s.now = e.at
		s.handle(e)
	}
	return s.result()
}

type eventKind int

const (
	evVisible eventKind = iota // the message can be received
	evRound                    // a record's start round (admission check)
	evStart                    // the StartAsyncInvoke call a round allowed
	evJobDone                  // Bedrock finishes a job
	evExecEnd                  // an execution ends; its slot frees
)

type event struct {
	at   time.Duration
	seq  int
	kind eventKind
	msg  int
}

type events []event

func (q events) Len() int { return len(q) }
func (q events) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q events) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *events) Push(x any)   { *q = append(*q, x.(event)) }
func (q *events) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type message struct {
	receives int
	// receivedAt and deadline belong to the current delivery.
	receivedAt, deadline time.Duration
	round                int
	started              bool
	startedAt, doneAt    time.Duration
	generation           time.Duration
	done, dead           bool
	resultAt             time.Duration
}

type loadSim struct {
	l      Load
	r      *rand.Rand
	now    time.Duration
	seq    int
	events events
	msgs   []message
	budget time.Duration

	queue      []int // visible messages, in arrival order
	running    int   // executions
	inProgress int   // Bedrock jobs
	res        LoadResult
}

func (s *loadSim) at(t time.Duration, k eventKind, msg int) {
	s.seq++
	heap.Push(&s.events, event{at: t, seq: s.seq, kind: k, msg: msg})
}

func (s *loadSim) handle(e event) {
	m := &s.msgs[e.msg]
	switch e.kind {
	case evVisible:
		s.queue = append(s.queue, e.msg)
		s.receive()
	case evRound:
		s.round(e.msg, m)
	case evStart:
		s.start(e.msg, m)
	case evJobDone:
		s.inProgress--
	case evExecEnd:
		s.running--
		s.receive()
	}
}

// receive hands visible messages to free executions.
func (s *loadSim) receive() {
	for s.running < s.l.Executions && len(s.queue) > 0 {
		i := s.queue[0]
		s.queue = s.queue[1:]
		m := &s.msgs[i]
		if m.receives >= s.l.MaxReceives {
			m.dead = true
			s.res.DeadLettered++
			continue
		}
		m.receives++
		s.running++
		m.receivedAt, m.deadline, m.round = s.now, s.now+s.budget, 0
		if m.started {
			s.follow(i, m) // re-attach through job.json
		} else {
			s.at(s.now, evRound, i)
		}
	}
}

// round is one round of the start step.
func (s *loadSim) round(i int, m *message) {
	m.round++
	if s.l.Admission {
		s.res.Checks++
		if s.inProgress >= s.l.Quota {
			s.refused(i, m)
			return
		}
	}
	s.at(s.now+s.l.CheckLatency, evStart, i)
}

func (s *loadSim) start(i int, m *message) {
	s.res.StartCalls++
	if s.inProgress >= s.l.Quota {
		s.res.WastedStarts++
		s.refused(i, m)
		return
	}
	s.inProgress++
	m.started, m.startedAt = true, s.now
	m.generation = s.l.Scenario.Generation.Sample(s.r)
	m.doneAt = s.now + m.generation
	s.at(m.doneAt, evJobDone, i)
	s.follow(i, m)
}

// refused waits for the next round or defers the record.
func (s *loadSim) refused(i int, m *message) {
	delay, ok := s.l.Policy.Next(m.round, s.r.Float64(), wallclock(s.now), wallclock(m.deadline))
	if !ok {
		s.res.Deferred++
		s.report(i, m, s.now)
		return
	}
	s.at(s.now+delay, evRound, i)
}

// follow polls the record's job on the handler's schedule within this
// delivery's budget.
func (s *loadSim) follow(i int, m *message) {
	age0 := s.now - m.startedAt
	sched := pollschedule.New(s.l.Scenario.Model, s.l.Scenario.VideoSeconds, age0+max(m.deadline-s.now, 0))
	age := age0 + sched.First(age0)
	for checks := 1; ; checks++ {
		if age >= m.generation {
			m.done, m.resultAt = true, m.startedAt+age
			s.res.Videos++
			s.at(m.resultAt, evExecEnd, i)
			return
		}
		d, ok := sched.Next(checks, age)
		if !ok {
			s.report(i, m, m.startedAt+age) // budget spent while the job runs
			return
		}
		age += d
	}
}

// report ends the execution at end with the record in
// batchItemFailures: SQS makes it visible again a visibility timeout after
// this receive.
func (s *loadSim) report(i int, m *message, end time.Duration) {
	s.at(end, evExecEnd, i)
	s.at(max(m.receivedAt+s.l.Visibility, end), evVisible, i)
}

func (s *loadSim) result() LoadResult {
	res := s.res
	var work time.Duration
	for _, m := range s.msgs {
		res.Deliveries += float64(m.receives)
		res.MaxDeliveries = max(res.MaxDeliveries, m.receives)
		if m.done {
			res.Makespan = max(res.Makespan, m.resultAt)
			work += m.generation
		}
	}
	res.Deliveries /= float64(len(s.msgs))
	if res.Videos > 0 {
		res.Ideal = work / time.Duration(s.l.Quota)
		waves := (res.Videos + s.l.Quota - 1) / s.l.Quota
		res.Waves = work / time.Duration(res.Videos) * time.Duration(waves)
	}
	return res
}

// epoch anchors the simulation's durations on a time line for the
// admission policy, which works with instants.
var epoch = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

func wallclock(d time.Duration) time.Time { return epoch.Add(d) }
