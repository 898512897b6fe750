package local

// The pick of a real 2.9.1 node, bit for bit. Service::asyncSendMessageByTopic
// (libp2p/Service.cpp, TopicStatus::onResponse) and
// ChannelRPCServer::asyncPushChannelMessage (Callback::sendMessage) both do
//
//	boost::mt19937 rng(static_cast<unsigned>(std::time(0)));
//	boost::uniform_int<int> index(0, size - 1);
//	auto ri = index(rng);
//
// on every pick: a generator seeded with the wall-clock second and used for
// one draw. Every pick within one second over a list of the same size gets
// the same index. This file reproduces the generator and the distribution
// exactly (the test compares with values printed by boost 1.74), so the
// faithful mode picks the very index a real node would in the same second.
// Written by hand: it is a few lines of a published algorithm, and no
// maintained Go package reproduces boost's uniform_int bucketing.

// mt19937 is the 32-bit Mersenne Twister (boost::mt19937, std::mt19937).
type mt19937 struct {
	mt  [624]uint32
	idx int
}

func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{idx: 624}
	m.mt[0] = seed
	for i := 1; i < 624; i++ {
		m.mt[i] = 1812433253*(m.mt[i-1]^(m.mt[i-1]>>30)) + uint32(i)
	}
	return m
}

func (m *mt19937) next() uint32 {
	if m.idx >= 624 {
		for i := 0; i < 624; i++ {
			y := m.mt[i]&0x80000000 | m.mt[(i+1)%624]&0x7fffffff
			v := m.mt[(i+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.mt[i] = v
		}
		m.idx = 0
	}
	y := m.mt[m.idx]
	m.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// uniformInt is boost::uniform_int<int>(0, n-1) drawn from m
// (boost/random/uniform_int_distribution.hpp, generate_uniform_int, the
// case of an engine range wider than the wanted one): the 2^32 outputs are
// cut into equal buckets and a draw past the last whole bucket is redrawn.
func (m *mt19937) uniformInt(n int) int {
	if n <= 1 {
		return 0
	}
	const brange = uint32(0xffffffff)
	r := uint32(n - 1)
	bucket := brange / (r + 1)
	if brange%(r+1) == r {
		bucket++
	}
	for {
		v := m.next() / bucket
		if v <= r {
			return int(v)
		}
	}
}

// timePick is the index a 2.9.1 node picks among n candidates during the
// wall-clock second unix (std::time(0) truncated to unsigned, as the C++).
func timePick(unix int64, n int) int {
	return newMT19937(uint32(unix)).uniformInt(n)
}
