// Package importer loads the target directory (检查对象名录库), the inspector
// directory (执法检查人员名录库) and the item list (抽查事项清单) from CSV or
// XLSX files into the stores. It backs `fieldcheck import`.
//
// # Files
//
// A file is CSV or XLSX. CSV is UTF-8 (a byte-order mark is skipped) or
// GB18030 (what Excel on Chinese Windows writes as "CSV"), chosen by which
// of the two reads the first 64 KiB with fewer errors; the separator is a
// comma, or a tab when the header row has tabs and no commas.
// XLSX is read from its first sheet. The format follows the file extension
// (.csv, .tsv and .txt are CSV; .xlsx and .xlsm are XLSX) and otherwise the
// content: a file that starts like a ZIP archive is XLSX. Legacy .xls, UTF-16
// text and other binary files are refused with a message that says so.
//
// The first non-empty row is the header. Rows are numbered as a spreadsheet
// shows them: the header of a file that starts with it is row 1. Header
// names are matched ignoring case, spaces, '_', '-' and a trailing '*'; both
// the Chinese and the English names below are accepted. A header cell that
// matches no column is an error: a misspelt header would otherwise drop a
// whole column of data silently. A column without a header must stay empty.
//
// Limits: 64 columns, 16 KiB a cell (item content may hold 4000 Chinese
// characters, 12 KB in UTF-8), 1 MiB a CSV record, 256 MiB an XLSX file.
//
// # Target directory (Kind Targets)
//
//	column           header names                                      value
//	id *             统一社会信用代码 社会信用代码 uscc id               USCC (upper-cased), or product-/project-/behaviour-CODE
//	name *           名称 企业名称 主体名称 对象名称 name
//	kind             类型 主体类型 对象类型 kind                          see kinds; empty: from the USCC (91, 92, 93) or the id prefix
//	region *         行政区划 行政区划代码 区划代码 region regionCode     six digits (GB/T 2260)
//	address          地址 住所 经营场所 address
//	lng, lat         经度 lng longitude / 纬度 lat latitude               decimal degrees (WGS-84); both or neither
//	industry         行业 行业代码 industry                               GB/T 4754 code such as F5211
//	tags             标签 tags                                            list
//	credit *         信用风险分类 信用分类 风险分类 credit creditClass     A B C D, A类…D类, 低风险 一般风险 较高风险 高风险, 信用风险低/一般/较高/高
//	whitelisted      白名单 whitelisted whitelist                         yes/no
//	status           登记状态 经营状态 状态 status                        see statuses; empty: active
//	keySupervision   重点监管 keySupervision                              yes/no
//	legalRep         法定代表人 负责人 经营者 legalRep legalRepresentative
//
// (* = required column.) The credit class may be empty only for targets
// without a USCC (products, projects, behaviours).
//
// # Inspector directory (Kind Inspectors)
//
//	certNo *         执法证号 执法证件号 执法证编号 certNo               4-32 letters, digits or '-'; the natural key
//	name *           姓名 name
//	department *     部门 所属部门 department departmentId               a department's id or its exact name
//	certExpiry *     证件有效期 执法证有效期 有效期至 certExpiry         date
//	specialties      专业 专长 专业领域 specialties                       list
//	region           行政区划 区划代码 region regionCode                  six digits
//	conflicts        回避对象 回避 conflicts                              list of USCCs or target ids, each optionally "ID:reason"
//	taskCap          任务上限 taskCap                                     0-1000, empty = 0 = no cap
//	user             账号 用户名 user userId username                     login name (lower-cased)
//
// A new inspector gets the id "ins-" + the lower-cased certificate number;
// an existing one (found by certificate number) keeps its id. New inspectors
// are active. A conflict without a reason gets "申报回避", or keeps the reason
// already stored for the same target.
//
// # Item list (Kind Items)
//
//	code *           事项编码 编码 code                                   the natural key
//	name *           事项名称 名称 name
//	legalBasis *     法律依据 抽查依据 依据 legalBasis
//	department *     部门 牵头部门 实施部门 department departmentId       id or exact name
//	cooperating      协同部门 配合部门 参与部门 cooperatingDepartments     list of ids or names
//	targetKind *     检查对象类型 对象类型 检查对象 targetKind            see kinds
//	content *        检查内容 抽查内容 content
//	standard         检查标准 standard
//	method *         检查方式 抽查方式 method                              现场检查 现场 onsite; 书面检查 书面 document; 网络监测 网络 online; 抽样检测 抽样 抽检 sampling; 其他 other
//	category *       事项类别 事项类型 类别 category                      重点 重点事项 重点检查事项 key; 一般 一般事项 一般检查事项 general
//	ratioCap         抽查比例上限 抽查比例 ratioCap                        general items only; see ratios
//	frequency        频次 抽查频次 frequency
//
// # Values
//
// Kinds: 企业 enterprise; 个体工商户 个体 individual; 农民专业合作社 合作社
// cooperative; 产品 product; 工程项目 项目 project; 行为 behaviour behavior.
//
// Statuses: 存续 在业 开业 正常 active; 停业 歇业 closed; 注销 已注销
// deregistered; 吊销 已吊销 吊销未注销 吊销，未注销 revoked.
//
// Yes/no: 是 y yes true 1 (also TRUE from XLSX) / 否 n no false 0; empty is no.
//
// Lists are separated by ; ； , ， 、 | or a line break inside the cell;
// blanks and repeats are dropped.
//
// Dates: YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD, an XLSX date
// cell, or an Excel serial day number (an XLSX date cell formatted as a
// number); a time of day after the date is ignored.
//
// Ratios are stored in basis points: "5%" (also "5％" or "0.5%") is a
// percentage, a plain number from 1 to 100 ("5") is a percentage too, and
// "500bp" gives basis points directly. A plain number below 1 ("0.05") is
// refused as ambiguous: write 5% or 0.05%. A percentage finer than a basis
// point (0.001%) is refused.
//
// # Upserts, errors and the audit log
//
// Records are matched by natural key: USCC (the target's id), certificate
// number, item code. A row whose content equals the stored record changes
// nothing: no write, no version bump, no audit entry. A changed row updates
// the stored record through the store's versioned Update; columns the file
// does not have keep their stored values (fields no import column covers,
// such as an inspector's leave or an item's template version, are never
// touched). Each row is validated completely before it is written, and each
// row is one document, so a rejected row leaves nothing behind.
//
// Every invalid row is reported as a RowError with its row number, the
// header text of the column at fault and the reason; a row may have several.
// A key that appears twice in a file rejects the later row. Problems with
// the file as a whole (empty, binary, no data rows, unknown or missing
// columns, a quote left open) are returned as a *backend.Error with code
// EINVALID. A file (anything that can seek) is read through once before the
// import to find them, so that they stop the import before anything is
// written; a stream that cannot seek is read once, and such a problem stops
// it where it is found.
//
// Check validates a file without a store, for a dry run: it reports every
// row error that needs no stored data.
//
// Writes are audited once per batch (Importer.BatchSize rows written,
// default 1000) with action import.targets, import.inspectors or
// import.items, object type "import", the object id "sha256:<hex>" of the
// file, and as change the list of (id, digest) pairs written in the batch.
// Each update is also audited on its own under the record's object type
// ("target", "inspector", "item") and id, so that a record's history can be
// found by its id; creations are found through their batch.
//
// New targets are inserted in bulk. Which targets exist already, and whether
// they differ from the file, is learnt from one scan of the target directory
// at the start, keeping only a digest per target: the embedded store
// answers only _id lookups without a full scan. Files of at most 200 rows
// look their targets up by id instead.
//
// Updates are the expensive part on the embedded store: every write by _id
// scans the collection there (about 0.7 s per changed row in a directory of
// 100,000 targets), while unchanged rows cost nothing.
package importer
