//! std::net on loopback: a threaded TCP echo server on 127.0.0.1:0 serving
//! several client threads (local_addr and peer_addr on both sides), AddrInUse,
//! ConnectionRefused, connect_timeout, set_nonblocking and WouldBlock,
//! read_timeout (WouldBlock, as on Linux), peek, shutdown, a write to a
//! closed peer (BrokenPipe) and a reset (ConnectionReset), TCP_NODELAY and
//! the TTL, IPv6 on [::1], and UdpSocket: send_to/recv_from with source
//! addresses, message boundaries, connect, and ConnectionRefused after a
//! datagram nobody took.  Ports are never printed.

use persona_guest::{check, done};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;

/// The host's ephemeral port range (Linux's default where it cannot be read).
fn ephemeral() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let v: Vec<u16> = s.split_whitespace().filter_map(|x| x.parse().ok()).collect();
            if v.len() == 2 {
                Some((v[0], v[1]))
            } else {
                None
            }
        })
        .unwrap_or((32768, 60999))
}

fn in_range(a: SocketAddr) -> bool {
    let (lo, hi) = ephemeral();
    a.port() >= lo && a.port() <= hi
}

fn message(i: usize) -> Vec<u8> {
    (0..5000).map(|k| (k * 7 + i * 13) as u8).collect()
}

fn echo_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    check(
        addr.ip() == Ipv4Addr::LOCALHOST && in_range(addr),
        "listener on 127.0.0.1 with an ephemeral port",
    );
    check(
        TcpListener::bind(addr).unwrap_err().kind() == ErrorKind::AddrInUse,
        "binding its address again: AddrInUse",
    );

    // One thread per connection, as a small server would.
    let server = thread::spawn(move || {
        let mut workers = Vec::new();
        for _ in 0..CLIENTS {
            let (mut s, peer) = listener.accept().unwrap();
            workers.push(thread::spawn(move || {
                let same = s.peer_addr().unwrap() == peer && s.local_addr().unwrap() == addr;
                let mut data = Vec::new();
                s.read_to_end(&mut data).unwrap();
                s.write_all(&data).unwrap();
                (peer, same)
            }));
        }
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });

    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                let local = c.local_addr().unwrap();
                let names = c.peer_addr().unwrap() == addr
                    && local.ip() == Ipv4Addr::LOCALHOST
                    && in_range(local)
                    && local.port() != addr.port();
                c.write_all(&message(i)).unwrap();
                c.shutdown(Shutdown::Write).unwrap();
                let mut back = Vec::new();
                c.read_to_end(&mut back).unwrap();
                (local, names && back == message(i))
            })
        })
        .collect();
    let mut locals: Vec<SocketAddr> = Vec::new();
    let mut all = true;
    for c in clients {
        let (local, ok) = c.join().unwrap();
        locals.push(local);
        all &= ok;
    }
    check(all, "four client threads echoed 5000 bytes, names as expected");
    let served = server.join().unwrap();
    let mut peers: Vec<SocketAddr> = served.iter().map(|p| p.0).collect();
    peers.sort();
    locals.sort();
    check(
        served.iter().all(|p| p.1) && peers == locals,
        "the server saw each client's address as its peer",
    );
}

fn stream_states() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();

    // Non-blocking accept and read.
    listener.set_nonblocking(true).unwrap();
    check(
        listener.accept().unwrap_err().kind() == ErrorKind::WouldBlock,
        "non-blocking accept: WouldBlock",
    );
    let mut c = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    check(c.peer_addr().unwrap() == addr, "connect_timeout connects");
    let (mut s, _) = listener.accept().unwrap();
    s.set_nonblocking(false).unwrap();
    c.set_nonblocking(true).unwrap();
    let mut b = [0u8; 16];
    check(
        c.read(&mut b).unwrap_err().kind() == ErrorKind::WouldBlock,
        "non-blocking read: WouldBlock",
    );
    c.set_nonblocking(false).unwrap();

    // Options.
    c.set_nodelay(true).unwrap();
    c.set_ttl(9).unwrap();
    check(
        c.nodelay().unwrap() && c.ttl().unwrap() == 9,
        "TCP_NODELAY and the TTL read back",
    );
    check(c.take_error().unwrap().is_none(), "take_error: none");

    // A read timeout: Linux says EAGAIN, which std calls WouldBlock.
    c.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    check(
        c.read_timeout().unwrap() == Some(Duration::from_millis(100)),
        "read_timeout reads back 100 ms",
    );
    let t0 = Instant::now();
    let e = c.read(&mut b).unwrap_err();
    check(
        e.kind() == ErrorKind::WouldBlock && t0.elapsed() >= Duration::from_millis(90),
        "a read that times out: WouldBlock after the timeout",
    );
    check(
        c.set_read_timeout(Some(Duration::from_secs(0)))
            .unwrap_err()
            .kind()
            == ErrorKind::InvalidInput,
        "a zero timeout: InvalidInput",
    );
    c.set_read_timeout(None).unwrap();

    // peek, then read; shutdown both ways.
    s.write_all(b"peekaboo").unwrap();
    let n = c.peek(&mut b).unwrap();
    check(n == 8 && &b[..8] == b"peekaboo", "peek sees the data");
    let n = c.read(&mut b).unwrap();
    check(n == 8 && &b[..8] == b"peekaboo", "read takes it");
    s.shutdown(Shutdown::Write).unwrap();
    check(c.read(&mut b).unwrap() == 0, "the peer's shutdown(Write): end of file");
    c.write_all(b"still").unwrap();
    let mut got = [0u8; 5];
    s.read_exact(&mut got).unwrap();
    check(&got == b"still", "the other direction still works");
    check(
        s.write(b"x").unwrap_err().kind() == ErrorKind::BrokenPipe,
        "writing after shutdown(Write): BrokenPipe",
    );
    drop(s);

    // A closed peer: the first write still succeeds (the reset comes
    // back), a later one fails.
    let mut failed = None;
    for _ in 0..3 {
        if let Err(e) = c.write(b"late") {
            failed = Some(e.kind());
            break;
        }
    }
    check(
        failed == Some(ErrorKind::BrokenPipe),
        "writing to a closed peer: BrokenPipe",
    );
    drop(c);

    // A peer that closes with data unread resets the connection.
    listener.set_nonblocking(false).unwrap();
    let mut c = TcpStream::connect(addr).unwrap();
    let (s, _) = listener.accept().unwrap();
    c.write_all(b"never read").unwrap();
    drop(s);
    let e = c.read(&mut b).unwrap_err();
    check(
        e.kind() == ErrorKind::ConnectionReset,
        "the peer closed with data unread: ConnectionReset",
    );

    // Nobody listens any more.
    drop(listener);
    check(
        TcpStream::connect(addr).unwrap_err().kind() == ErrorKind::ConnectionRefused,
        "after the listener closed: ConnectionRefused",
    );
}

fn ipv6() {
    let listener = match TcpListener::bind("[::1]:0") {
        Ok(l) => l,
        Err(e) => {
            check(false, &format!("bind [::1]:0: {}", e));
            return;
        }
    };
    let addr = listener.local_addr().unwrap();
    let t = thread::spawn(move || {
        let (mut s, peer) = listener.accept().unwrap();
        let mut b = [0u8; 4];
        s.read_exact(&mut b).unwrap();
        s.write_all(&b).unwrap();
        peer
    });
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"six!").unwrap();
    let mut b = [0u8; 4];
    c.read_exact(&mut b).unwrap();
    let peer = t.join().unwrap();
    check(
        &b == b"six!" && peer == c.local_addr().unwrap() && peer.is_ipv6(),
        "IPv6 echo on [::1], the client's address seen by the server",
    );
}

fn udp() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    check(
        in_range(aa) && in_range(ba) && aa != ba,
        "two UDP sockets on ephemeral ports",
    );
    check(
        a.send_to(b"first", ba).unwrap() == 5 && a.send_to(b"2nd", ba).unwrap() == 3,
        "send_to twice",
    );
    let mut buf = [0u8; 64];
    let (n, from) = b.peek_from(&mut buf).unwrap();
    check(n == 5 && from == aa, "peek_from: 5 bytes from the sender");
    let (n1, f1) = b.recv_from(&mut buf).unwrap();
    let first = buf[..n1].to_vec();
    let (n2, f2) = b.recv_from(&mut buf).unwrap();
    check(
        first == b"first" && &buf[..n2] == b"2nd" && f1 == aa && f2 == aa,
        "recv_from: two datagrams, their boundaries and source",
    );
    b.send_to(b"reply", aa).unwrap();
    let (n, from) = a.recv_from(&mut buf).unwrap();
    check(&buf[..n] == b"reply" && from == ba, "the reply comes back");

    a.connect(ba).unwrap();
    check(a.peer_addr().unwrap() == ba, "connect: peer_addr");
    a.send(b"conn").unwrap();
    let n = b.recv(&mut buf).unwrap();
    check(&buf[..n] == b"conn", "send on a connected socket");
    b.set_nonblocking(true).unwrap();
    check(
        b.recv(&mut buf).unwrap_err().kind() == ErrorKind::WouldBlock,
        "non-blocking recv, nothing there: WouldBlock",
    );
    b.set_nonblocking(false).unwrap();
    b.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    check(
        b.recv(&mut buf).unwrap_err().kind() == ErrorKind::WouldBlock,
        "recv with a timeout: WouldBlock",
    );

    // Connected to a port nobody has: the send succeeds, the next call
    // hears ECONNREFUSED.
    let gone = {
        let tmp = UdpSocket::bind("127.0.0.1:0").unwrap();
        tmp.local_addr().unwrap()
    };
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.connect(gone).unwrap();
    check(c.send(b"anyone?").is_ok(), "send to a port nobody has: Ok");
    c.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    check(
        c.recv(&mut buf).unwrap_err().kind() == ErrorKind::ConnectionRefused,
        "then recv: ConnectionRefused",
    );
}

fn main() {
    echo_server();
    stream_states();
    ipv6();
    udp();
    done();
}
