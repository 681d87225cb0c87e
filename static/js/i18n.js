// Chinese and English strings, the language switch and the light/dark theme switch. Both
// choices are kept in localStorage; the document's lang and data-theme attributes follow.

const STRINGS = {
  app_title: ['WSS 管理面板', 'WSS Panel'],
  username: ['用户名', 'Username'], password: ['密码', 'Password'], login: ['登录', 'Log in'],
  logout: ['退出', 'Log out'], theme: ['主题', 'Theme'],
  bad_login: ['用户名或密码错误', 'Invalid username or password'],
  throttled: ['失败次数过多，请稍后再试', 'Too many failed attempts; try again later'],
  nav_dashboard: ['仪表盘', 'Dashboard'], nav_users: ['用户', 'Users'], nav_tunnels: ['在线连接', 'Tunnels'],
  nav_payload: ['载荷生成', 'Payload'], nav_hosts: ['Host 白名单', 'Hosts'], nav_security: ['安全', 'Security'],
  nav_settings: ['设置', 'Settings'],
  live_connecting: ['连接中', 'connecting'], live_live: ['实时', 'live'], live_lost: ['已断开', 'lost'],
  cpu: ['CPU', 'CPU'], memory: ['内存', 'Memory'], disk: ['磁盘', 'Disk'], services: ['服务', 'Services'],
  backup: ['备份', 'Backup'], download_backup: ['下载备份', 'Download backup'],
  backup_hint: ['存储的一致快照；面板停止后用 wss-panel restore FILE 恢复。',
    'A consistent snapshot of the store; restore it with the panel stopped: wss-panel restore FILE.'],
  ports: ['端口', 'Ports'], accounts: ['账户', 'Accounts'], online_users: ['在线用户', 'Online users'],
  tunnels: ['连接数', 'Tunnels'], total_traffic: ['总流量', 'Total traffic'], speed: ['实时速度', 'Live speed'],
  restart: ['重启', 'Restart'], listening: ['监听中', 'listening'], closed: ['未监听', 'closed'],
  unknown: ['未知', 'unknown'], upload: ['上传', 'Up'], download: ['下载', 'Down'],
  search: ['搜索用户名或备注', 'Search name or note'], all: ['全部', 'All'],
  status: ['状态', 'Status'], usage: ['用量', 'Usage'], expiry: ['到期', 'Expires'], conns: ['连接', 'Conns'],
  actions: ['操作', 'Actions'], add_user: ['添加用户', 'Add user'], never: ['永不', 'never'],
  kick: ['踢下线', 'Kick'], history: ['流量历史', 'History'], edit: ['编辑', 'Edit'], pause: ['暂停', 'Pause'],
  resume: ['恢复', 'Resume'], renew: ['续期', 'Renew'], reset: ['重置流量', 'Reset traffic'], delete: ['删除', 'Delete'],
  card: ['连接信息', 'Connection'], selected: ['已选', 'selected'], days: ['天数', 'Days'],
  quota_gb: ['流量配额 (GiB, 0=不限)', 'Quota (GiB, 0 = unlimited)'], rate_kbps: ['限速 (KiB/s, 0=不限)', 'Rate (KiB/s, 0 = unlimited)'],
  max_connections: ['最大连接 (0=不限)', 'Max connections (0 = unlimited)'], expires_on: ['到期日 (空=永不)', 'Expires on (empty = never)'],
  require_auth_header: ['必须使用 Proxy-Authorization', 'Require Proxy-Authorization'], allow_shell: ['允许 Shell (444)', 'Allow shell (444)'],
  note: ['备注', 'Note'], save: ['保存', 'Save'], cancel: ['取消', 'Cancel'], close: ['关闭', 'Close'], confirm: ['确认', 'Confirm'],
  new_password: ['新密码 (留空不变)', 'New password (empty = unchanged)'], token_preview: ['Basic 令牌预览', 'Basic token preview'],
  prev: ['上一页', 'Prev'], next: ['下一页', 'Next'], page: ['页', 'page'],
  ip: ['IP', 'IP'], user: ['用户', 'User'], node: ['节点', 'Node'], since: ['连接时间', 'Since'],
  ban: ['封禁', 'Ban'], unban: ['解封', 'Unban'], reason: ['原因', 'Reason'], time: ['时间', 'Time'],
  hosts_help: ['每行一个主机名；空列表表示不限制。', 'One host name per line; an empty list allows any host.'],
  fuse: ['全局熔断阈值 (KiB/s, 0=关闭)', 'Global fuse threshold (KiB/s, 0 = off)'],
  change_password: ['修改管理员密码', 'Change admin password'], current_password: ['当前密码', 'Current password'],
  logs: ['服务日志', 'Service logs'], audit: ['审计日志', 'Audit log'], load: ['加载', 'Load'], older: ['更早', 'Older'],
  saved: ['已保存', 'Saved'], done: ['完成', 'Done'], failed: ['失败', 'failed'],
  confirm_delete: ['确定删除？', 'Delete for good?'], confirm_restart: ['将重启服务：', 'This will restart: '],
  method: ['方法', 'Method'], host: ['主机', 'Host'], split: ['分割载荷', 'Split payload'], auth_mode: ['认证方式', 'Auth mode'],
  generate: ['生成', 'Generate'], copy: ['复制', 'Copy'], copied: ['已复制', 'Copied'],
  active: ['启用', 'active'], paused: ['暂停', 'paused'], expired: ['已到期', 'expired'], exceeded: ['超额', 'exceeded'], fused: ['熔断', 'fused'],
  no_data: ['暂无数据', 'Nothing yet'], who: ['操作者', 'Who'], action: ['动作', 'Action'], target: ['对象', 'Target'], detail: ['详情', 'Detail'],
  // --- ui redesign ---
  udp_flows: ['UDP 流', 'UDP flows'],
  copy_failed: ['复制失败，请手动选择文本', 'Copy failed; select the text by hand'],
  days_left: ['剩余 {n} 天', '{n} days left'], expires_today: ['今天到期', 'expires today'],
  expired_ago: ['已过期 {n} 天', 'expired {n} days ago'], online: ['在线连接', 'Online'], rate: ['限速', 'Rate'],
  max_conn: ['最大连接', 'Max conn'], created: ['创建于', 'Created'], plan: ['套餐', 'Plan'], shell: ['Shell', 'Shell'],
  auth: ['认证', 'Auth'], columns: ['显示列', 'Columns'], select_all: ['全选本页', 'Select this page'],
  page_size: ['每页条数', 'Rows per page'], loading: ['加载中…', 'Loading…'],
  no_users: ['还没有用户。添加第一个用户，然后把连接信息发给客户。', 'No users yet. Add the first one, then send the customer their connection details.'],
  no_match: ['没有符合条件的用户', 'No user matches the search or filter'],
  confirm_kick: ['断开以下用户的所有连接？', 'Close every tunnel of'], confirm_reset: ['将已用流量清零：', 'Set the used traffic to zero for'],
  confirm_ban: ['封禁此 IP（所有连接立即断开）：', 'Ban this IP (its tunnels close at once):'],
  current_expiry: ['当前到期', 'Current expiry'], new_expiry: ['续期后到期', 'New expiry'],
  err_not_found: ['对象不存在（可能已被删除）', 'Not found (it may have been deleted)'],
  err_conflict: ['与现有数据冲突', 'Conflicts with existing data'], err_forbidden: ['不允许此操作', 'Not allowed'],
  err_server: ['服务器出错，请稍后重试或查看服务日志', 'Server error; try again or read the service logs'],
  err_bad_input: ['输入无效，请检查各字段', 'Invalid input; check the fields'],
  err_password: ['密码至少 8 个字符', 'The password needs at least 8 characters'],
  err_username: ['用户名：小写字母开头，可含小写字母、数字、_ 和 -，最长 32', 'Username: a lowercase letter first, then lowercase letters, digits, _ or -, at most 32'],
  err_exists: ['该用户名已存在', 'This username is taken'], err_number: ['请输入有效的数字', 'Enter a valid number'],
  err_note: ['备注最多 500 字，不能含控制字符', 'Note: at most 500 characters, no control characters'], err_date: ['日期格式应为 YYYY-MM-DD', 'Date as YYYY-MM-DD'],
  never_expires: ['永不过期', 'Never expires'],
  hint_username: ['小写字母开头；同时是服务器上的系统账户名', 'Starts with a lowercase letter; also the system account name on the server'],
  hint_password: ['至少 8 个字符；客户在应用里填写', 'At least 8 characters; the customer types it in their app'],
  hint_quota: ['达到后用户变为“超额”并断开', 'When reached the user becomes “exceeded” and is cut off'],
  hint_rate: ['该用户所有连接共享的速度上限', 'Speed cap shared by all of this user’s tunnels'],
  hint_maxconn: ['所有节点上同时在线的连接数', 'Tunnels open at the same time, over all nodes'],
  hint_reqauth: ['开启：应用必须发送 Proxy-Authorization 头（更安全）；关闭：也接受 /?user= 方式', 'On: the app must send a Proxy-Authorization header (safer); off: /?user= in the path also works'],
  hint_shell: ['允许通过 444 端口 (stunnel) 登录真正的 Shell；仅给信任的用户', 'Lets the user log in to a real shell through port 444 (stunnel); only for trusted users'],
  quota_reset: ['流量重置', 'Quota reset'], quota_reset_day: ['重置日 (周: 1-7, 月: 1-31)', 'Reset day (week: 1-7, month: 1-31)'],
  reset_none: ['不重置', 'never'], reset_daily: ['每天', 'daily'], reset_weekly: ['每周', 'weekly'], reset_monthly: ['每月', 'monthly'],
  hint_quota_reset: ['按周期把已用流量清零', 'Sets the used traffic back to zero every period'],
  first_use_days: ['首次使用后有效天数', 'Days valid after first use'],
  hint_first_use: ['空 = 关闭；填写后从客户第一次连接开始计算到期', 'Empty = off; when set, expiry counts from the customer’s first connection'],
  not_used_yet: ['尚未使用', 'not used yet'], date: ['日期', 'Date'], total: ['合计', 'Total'],
  fix: ['处理', 'Fix'],
  alert_sshd: ['sshd 未在 {port} 端口监听：所有隧道都会返回 502', 'sshd is not listening on port {port}: every tunnel fails with 502'],
  fix_sshd: ['sudo systemctl start ssh; sudo systemctl enable ssh', 'sudo systemctl start ssh; sudo systemctl enable ssh'],
  alert_port: ['隧道端口 {port} 未监听：客户无法连接', 'Tunnel port {port} is not listening: customers cannot connect'],
  fix_port: ['sudo systemctl restart wss; journalctl -u wss -n 50', 'sudo systemctl restart wss; journalctl -u wss -n 50'],
  alert_node: ['没有代理节点连接到面板：隧道无人服务', 'No proxy node is connected to the panel: nobody serves tunnels'],
  fix_node: ['sudo systemctl restart wss; journalctl -u wss -n 50 | grep IPC', 'sudo systemctl restart wss; journalctl -u wss -n 50 | grep IPC'],
  alert_disk: ['磁盘已用 {pct}%：存储写满后流量无法记录', 'Disk {pct}% full: traffic cannot be recorded once it is full'],
  fix_disk: ['sudo journalctl --vacuum-size=200M; df -h', 'sudo journalctl --vacuum-size=200M; df -h'],
  alert_store: ['存储所在磁盘已满或将满，更改和流量可能无法保存（{error}）；隧道仍在运行', 'The disk under the store is full or nearly full: changes and traffic may not be saved ({error}); tunnels keep running'],
  store_space_left: ['剩余 {mib} MiB', '{mib} MiB left'],
  fix_store: ['释放数据目录所在磁盘的空间（df -h /var/lib/wss-panel）；面板会自动恢复并补记流量', 'Free space on the data dir\'s disk (df -h /var/lib/wss-panel); the panel recovers by itself and catches up on traffic'],
  alert_service: ['服务 {name} 状态为 {state}', 'Service {name} is {state}'],
  alert_cert: ['TLS 证书 {n} 天后到期 ({date})：到期后客户的 WSS-TLS 连接会失败', 'The TLS certificate expires in {n} days ({date}): customers\' WSS-TLS connections fail after that'],
  fix_cert: ['续签证书 (如 certbot renew)，再运行: sudo ./install/install.sh --cert fullchain.pem --key privkey.pem',
    'Renew it (e.g. certbot renew), then run: sudo ./install/install.sh --cert fullchain.pem --key privkey.pem'],
  conn_lost: ['与面板的实时连接已断开，正在重连…', 'Live connection to the panel lost; reconnecting…'],
  port_panel_port: ['面板端口', 'Panel (web UI)'], port_wss_http_port: ['WSS 端口 (HTTP)', 'WSS tunnels (HTTP)'],
  port_wss_tls_port: ['WSS 端口 (TLS)', 'WSS tunnels (TLS)'], port_stunnel_port: ['Stunnel (Shell) 端口', 'Stunnel (shell)'],
  port_internal_forward_port: ['内部 SSH 端口', 'Internal SSH (sshd)'], port_fixed: ['由安装程序设置', 'set by the installer'],
  pw_mismatch: ['两次输入的新密码不一致', 'The two new passwords differ'], pw_confirm: ['确认新密码', 'Confirm new password'],
  pw_rule: ['至少 10 个字符，不能与当前密码相同', 'At least 10 characters, different from the current one'],
  pw_current_wrong: ['当前密码不正确', 'The current password is wrong'],
  pw_changed: ['密码已修改，请用新密码登录。', 'Password changed. Log in with the new password.'],
  simulated: ['模拟', 'simulated'],
  trial_banner: ['试用模式 (wss-panel up)：系统账户和服务都是模拟的，不会改动本机。', 'Trial mode (wss-panel up): system accounts and services are simulated; nothing on this machine is changed.'],
  units_title: ['显示单位：二进制 (KiB/MiB/GiB) 或十进制 (KB/MB/GB)', 'Display units: binary (KiB/MiB/GiB) or decimal (KB/MB/GB)'],
  err_port_busy: ['该端口已被其他程序占用', 'That port is in use by another program'],
  err_port: ['端口应为 1-65535，且各端口互不相同', 'Ports are 1-65535 and must all differ'],
  // --- payload generator ---
  pl_preset: ['应用预设', 'App preset'], pl_http_injector: ['HTTP Injector', 'HTTP Injector'],
  pl_http_custom: ['HTTP Custom', 'HTTP Custom'], pl_napsternetv: ['NapsternetV', 'NapsternetV'],
  pl_split_r1: ['启用拆分载荷 (R1 前置请求)', 'Split payload (R1 front query)'],
  pl_r1_method: ['R1 方法', 'R1 method'], pl_r1_host: ['R1 主机', 'R1 host'],
  pl_r2_method: ['R2 方法', 'R2 method'], pl_r2_host: ['R2 主机 (Bug Host)', 'R2 host (bug host)'],
  pl_auth_none: ['无', 'None'], pl_password_hint: ['密码不保存, 请输入', 'Not stored: type it'],
  pl_no_public: ['未设置公网地址: 请在 设置 中填写', 'No public address yet: set it in Settings'],
  pl_sni_finder: ['SNI 查找', 'SNI finder'], pl_find: ['查找', 'Find'], pl_no_names: ['(证书中无域名)', '(no names in the certificate)'],
  pl_sni_hint: ['连接 host:443 并列出证书中的域名 (仅公网地址, 5 秒超时)', 'Connects to host:443 and lists the certificate\'s names (public addresses only, 5 s timeout)'],
  pl_card_type_password: ['输入该用户的密码以生成载荷和二维码', 'Type the user\'s password to get the payload and the QR code'],
  pl_public_address: ['公网地址', 'Public address'],
  pl_public_hint: ['客户连接的地址, 用于载荷、连接卡片和二维码', 'Where customers connect: used by payloads, the connection card and its QR'],
  pl_pub_host: ['公网主机/IP', 'Public host / IP'], pl_pub_sni: ['SNI', 'SNI'], pl_pub_wss_port: ['WSS 端口', 'WSS port'],
  pl_pub_wss_tls_port: ['WSS-TLS 端口', 'WSS-TLS port'], pl_pub_stunnel_port: ['Stunnel 端口', 'Stunnel port'],
  pl_pub_udpgw_port: ['UDPGW 端口', 'UDPGW port'],
  // --- task ui2 (issue 13): chart axes, certificate alert, fuse example, audit date filter ---
  chart_now: ['现在', 'now'], chart_ago: ['{n} 秒前', '-{n} s'],
  alert_cert_expired: ['TLS 证书已于 {date} 过期：客户的 WSS-TLS 连接会失败', 'The TLS certificate expired on {date}: customers\' WSS-TLS connections fail'],
  fuse_off_now: ['当前为 0：熔断已关闭。', 'Now 0: the fuse is off. '],
  fuse_example: ['设为 {n} KiB/s 时：面板每秒把每个用户在所有节点上的上传与下载速度相加，任意一秒达到 {n} KiB/s (约 {mbit} Mbit/s) 或以上的用户即被熔断：其连接全部断开，账户保持熔断状态，直到你手动恢复 (用户 → ⋮ → 恢复)。请设得高于你出售的单用户限速，只拦住失控的用户。',
    'With {n} KiB/s: every second the panel adds up each user\'s upload and download speed over all nodes; a user at {n} KiB/s (about {mbit} Mbit/s) or more in any one second is fused: their tunnels are closed and the account stays fused until you resume it (Users → ⋮ → Resume). Set it above the per-user speed caps you sell, so that it stops only runaway users.'],
  audit_since: ['起始日期 (YYYY-MM-DD)', 'From date (YYYY-MM-DD)'],
  pick_date: ['日历', 'Calendar'],
  // --- task-week: shell door ports (stunnel, sshd_stunnel) ---
  port_sshd_stunnel_port: ['Shell SSH 端口 (stunnel 后端)', 'Shell sshd (behind stunnel)'],
  port_doors_trial: ['试用模式 (wss-panel up) 不运行 stunnel 和 sshd_stunnel: 其端口在正式安装后才可修改。', 'Trial mode (wss-panel up) runs no stunnel and no sshd_stunnel: their ports can be changed once installed.'],
  port_doors_hint: ['修改后 stunnel 和 sshd_stunnel 会重启; 若启动失败则自动恢复原端口。', 'stunnel and sshd_stunnel restart; if either fails to start, the old ports are restored.'],
  err_ports_failed: ['未生效: ', 'Not applied: '],
  // --- nodes view (task nodes2) ---
  nav_nodes: ['节点', 'Nodes'], nd_name: ['节点名', 'Node'], nd_address: ['地址', 'Address'],
  nd_version: ['版本', 'Version'], nd_uptime: ['运行时长', 'Uptime'], nd_today: ['今日流量', 'Traffic today'],
  nd_local: ['本机', 'this host'], nd_connected: ['已连接', 'connected'], nd_last_seen: ['最后在线', 'last seen'],
  nd_never_seen: ['从未连接', 'never connected'], nd_pending: ['等待注册', 'waiting for enrolment'],
  nd_revoked: ['已吊销', 'revoked'], nd_no_nodes: ['还没有节点', 'No nodes yet'],
  nd_new_token: ['新建注册令牌', 'New enrolment token'], nd_token: ['令牌', 'Token'],
  nd_expires_hours: ['有效期 (小时)', 'Valid for (hours)'], nd_expires: ['令牌过期时间', 'The token expires'],
  nd_token_once: ['令牌只显示这一次: 请复制并在新节点上运行安装命令。', 'The token is shown only this once: copy it and run the install line on the new node.'],
  nd_install_line: ['在节点上运行', 'Run on the node'],
  nd_token_refused: ['无法创建令牌:', 'No token made:'],
  nd_rename: ['重命名', 'Rename'], nd_display_name: ['显示名称', 'Display name'],
  hint_nd_name: ['1-32 个小写字母、数字、_ 或 -, 以字母或 _ 开头; 节点本身的名称不变', '1-32 lowercase letters, digits, _ or -, starting with a letter or _; the node keeps its own name'],
  nd_revoke: ['吊销', 'Revoke'], confirm_nd_revoke: ['吊销后该节点立即断开, 需新令牌才能重新注册:', 'The node is cut off at once and needs a new token to enrol again:'],
  // --- node health (task nodeinstall) ---
  nd_health: ['健康', 'Health'], nd_health_ok: ['正常', 'OK'],
  nd_h_sshd: ['sshd 端口 {port} 未监听', 'sshd port {port} not listening'],
  nd_h_udpgw: ['UDPGW 端口 {port} 未监听', 'UDPGW port {port} not listening'],
  nd_h_cert: ['证书剩余 {n} 天', 'certificate: {n} days left'], nd_h_cert_expired: ['证书已过期', 'certificate expired'],
};

export function lang() {
  return localStorage.getItem('lang') === 'en' ? 'en' : 'zh';
}

export function t(key) {
  const s = STRINGS[key];
  return s ? s[lang() === 'en' ? 1 : 0] : key;
}

/** Fills every [data-i18n] element's text and [data-i18n-ph] placeholder under `root`. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-ph]')) el.placeholder = t(el.dataset.i18nPh);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  // The switch shows both languages with the active one marked.
  const sw = document.getElementById('lang-toggle');
  if (sw) {
    const en = lang() === 'en';
    const mark = (text, on) => { const s = document.createElement(on ? 'b' : 'span'); s.textContent = text; return s; };
    sw.replaceChildren(mark('中文', !en), ' / ', mark('EN', en));
    sw.dataset.lang = en ? 'en' : 'zh';
  }
}

export function toggleLang() {
  localStorage.setItem('lang', lang() === 'en' ? 'zh' : 'en');
  applyI18n();
  document.dispatchEvent(new Event('langchange'));
}

export function applyTheme() {
  const stored = localStorage.getItem('theme');
  const dark = stored ? stored === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export function toggleTheme() {
  const dark = document.documentElement.dataset.theme === 'dark';
  localStorage.setItem('theme', dark ? 'light' : 'dark');
  applyTheme();
  document.dispatchEvent(new Event('themechange'));
}
